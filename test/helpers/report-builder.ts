/** Small Reports for tests of what reads them (diff, history): only the fields those read are varied. */
import type { PathEvidence } from '../../src/evidence.js';
import { REPORT_VERSION, type NodeReport, type PathReport, type Report } from '../../src/report.js';
import { VERDICT_KINDS, type NodeKind, type PathKind, type VerdictKind } from '../../src/verdicts.js';

export const CTL = '10.0.0.1';

/** The least evidence of its kind a callback with this verdict has (what readers of verdicts never look at). */
function callbackEvidence(verdict: PathKind, port: number): PathEvidence {
  if (verdict === 'ok') return { kind: 'measured' };
  if (verdict === 'not-measured') return { kind: 'not-run' };
  return { kind: 'probe', probe: `hello-${port}`, outcome: 'timeout', ledgerSawRequest: false, ledgerBytesWritten: 0, ledgerCompleted: false };
}

export function callback(from: string, port: number, verdict: PathKind, to = CTL): PathReport {
  return { direction: 'callback', from, to, port, proto: port === 63002 ? 'https' : 'http', verdict, summary: '', evidence: callbackEvidence(verdict, port) };
}

export function forward(to: string, port: number, verdict: PathKind): PathReport {
  return { direction: 'forward', from: 'controller', to, port, proto: 'tcp', verdict, summary: '', evidence: { kind: 'forward', purpose: 'ssh', probe: 'tcp', outcome: verdict === 'ok' ? 'open' : 'timeout', ms: 1 } };
}

export function node(name: string, addresses: string[], paths: PathReport[], nodeVerdict?: NodeKind): NodeReport {
  const worst = paths.find((p) => p.verdict !== 'ok')?.verdict ?? 'ok';
  return {
    name,
    addresses,
    profile: 'linux',
    verdict: nodeVerdict ?? worst,
    ...(nodeVerdict === undefined ? {} : { nodeVerdict }),
    callbackAddresses: [CTL],
    paths,
    ms: 1,
  };
}

/** A healthy single-address node: two callbacks and SSH forward, all with `verdict`. */
export function simpleNode(name: string, address: string, verdict: PathKind = 'ok'): NodeReport {
  return node(name, [address], [callback(address, 63001, verdict), callback(address, 63002, verdict), forward(address, 22, 'ok')]);
}

export function report(id: string, nodes: NodeReport[], interrupted = false): Report {
  const summary = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as Record<VerdictKind, number>;
  for (const n of nodes) summary[n.verdict] += 1;
  return {
    version: REPORT_VERSION,
    run: {
      id,
      startedAt: `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13, 15)}.000Z`,
      finishedAt: '',
      ms: 1,
      interrupted,
      controller: { listeners: [], fingerprint256: '' },
      settings: { sizes: [1024], concurrency: 1, httpPort: 63001, httpsPort: 63002, idleHoldMs: 0, firmwareBytes: 1, alternates: { unavailable: [] } },
      strayRequests: 0,
      listenerPeers: {},
      halfOpenSampled: false,
    },
    nodes,
    findings: [],
    summary: { ...summary, nodes: nodes.length, failedNodes: nodes.filter((n) => n.verdict !== 'ok').length },
  };
}
