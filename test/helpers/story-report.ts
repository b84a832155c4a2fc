/**
 * A report whose failing paths carry typed evidence of every variant the HTML story draws: a
 * callback blocked, a return path lost (the controller's SYN_RECV sighting), an MTU black hole (a
 * size boundary, with a path MTU the evidence type does not have yet, to show such a field is drawn
 * when present), an idle cut, a forward probe whose SYN the node held half-open, an ICMP reject.
 */
import type { PathEvidence } from '../../src/evidence.js';
import type { PathReport, Report } from '../../src/report.js';
import type { PathKind } from '../../src/verdicts.js';
import { CTL, callback, forward, node, report, simpleNode } from './report-builder.js';

function withEvidence(path: PathReport, verdict: PathKind, evidence: PathEvidence, summary: string): PathReport {
  return { ...path, verdict, evidence, summary };
}

const hello = { outcome: 'timeout' as const, ledgerBytesWritten: 0, ledgerCompleted: false };

export function storyReport(): Report {
  const blocked = withEvidence(callback('10.0.20.2', 63001, 'ok'), 'blocked', { kind: 'probe', probe: 'hello-http-0', ...hello, ledgerSawRequest: false }, 'hello: connect timed out; the listener saw nothing');
  const returnLost = withEvidence(
    callback('10.0.13.2', 63001, 'ok'),
    'return-path-lost',
    { kind: 'probe', probe: 'hello-http-0', ...hello, ledgerSawRequest: false, controllerHalfOpen: { remote: '10.0.13.2', local: CTL, port: 63001, firstAt: 10, lastAt: 900, connections: 2 } },
    'hello: the controller got the SYN, its SYN-ACK never reached the node',
  );
  const pathMtu = [{ from: 'controller' as const, to: '10.0.6.2', measured: true, mtu: 1400, interfaceMtu: 1500, probes: [{ size: 1500, ok: false }, { size: 1400, ok: true }], command: 'ping -n -M do -s 1372 -c 1 -W 1 10.0.6.2' }];
  const sizeBoundary: PathEvidence = { kind: 'size-boundary', probe: 'dl-http-0-65536', outcome: 'stalled', stallAt: 2896, listenerBytesWritten: 65536, listenerBytesReceived: 120, largestPassingDownload: 1024, largestPassingUpload: 65536, passingMbps: { download: 1.6, upload: 42.5 }, stuck: ['dl-http-0-65536', 'dl-http-0-1048576'], pathMtu };
  const mtu = withEvidence(callback('10.0.6.2', 63001, 'ok'), 'mtu-blackhole', sizeBoundary, 'download of 64 KiB stalled at byte 2896; up to 1 KiB passes');
  const idle = withEvidence(
    callback('10.0.7.2', 63002, 'ok'),
    'idle-cut',
    { kind: 'idle-cut', probe: 'hold-https-0', outcome: 'ok', idleMs: 600_000, push: false, pong: false, listenerGotPing: false, listenerPushSent: true },
    'the quiet channel stopped carrying traffic after 600 s',
  );
  const halfOpen = withEvidence(
    forward('10.0.8.2', 443, 'ok'),
    'return-path-lost',
    { kind: 'forward', purpose: 'https', probe: 'tcp', outcome: 'timeout', ms: 3000, nodeHalfOpen: { local: { address: '10.0.8.2', port: 443 }, remote: { address: CTL, port: 40000 } } },
    'port 443: the node got the SYN, its answer never reached the controller',
  );
  const icmp = withEvidence(forward('10.0.8.2', 5989, 'ok'), 'rejected', { kind: 'forward', purpose: 'wbem', probe: 'tcp', outcome: 'unreachable', ms: 2, icmpReject: true }, 'port 5989: ICMP unreachable');
  const r = report('20250102T030000-def456', [
    simpleNode('healthy', '10.0.1.2'),
    node('web1', ['10.0.20.2'], [blocked, callback('10.0.20.2', 63002, 'ok')]),
    node('return-acl', ['10.0.13.2'], [returnLost]),
    node('mtu', ['10.0.6.2'], [mtu]),
    node('idle', ['10.0.7.2'], [idle]),
    node('esx', ['10.0.8.2'], [halfOpen, icmp]),
  ]);
  r.run.settings.sizes = [1024, 65536, 1048576, 8388608];
  return r;
}
