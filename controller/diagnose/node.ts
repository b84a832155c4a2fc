/**
 * One node's diagnosis: a pure function of (plan, agent evidence, ledger, forward results) to its
 * paths' verdicts, its own verdict, its NICs' reach and the agent that ran. Its remedies wait for
 * the fleet's findings (controller/diagnose/fleet.ts).
 */
import { sessionBreakLabel } from '../../src/session-break.js';
import type { CallbackKind } from '../../src/profiles.js';
import type { AgentFacts, AgentHalfOpen, AgentHello, Endpoint, PlannedProbe, ProbeResult, ProbeRetry } from '../../src/protocol.js';
import type { NicReach, NodeReport, PathReport } from '../../src/report.js';
import { VERDICTS, isFailure, worse, type NodeKind, type VerdictKind } from '../../src/verdicts.js';
import type { ConnectionView, LedgerConnection } from '../wire/ledger.js';
import { alternatesFor, judgeCallbackPath } from './callback.js';
import { forwardAnswered, forwardPath } from './forward.js';
import { judgeFtp } from './ftp.js';
import { DEFAULT_THRESHOLDS, type NodeEvidence, type Thresholds } from './inputs.js';
import type { ObservedProbe, PathContext } from './probe.js';
import { sessionBreak, sessionFailureEvidence } from './session.js';
import { judgeUnfinishedPath, unreportedPath, type Unfinished } from './unfinished.js';
import { qualityContextFor } from './quality.js';

/** Which controller addresses each NIC of a multi-address node can call back to. */
function nicReach(sources: readonly string[], paths: readonly PathReport[], facts: AgentFacts | undefined): NicReach[] {
  return sources.map((address) => {
    const own = paths.filter((p) => p.direction === 'callback' && p.from === address);
    const targets = [...new Set(own.map((p) => p.to))];
    const iface = facts?.addresses.find((a) => a.address === address)?.iface;
    return {
      address,
      ...(iface === undefined ? {} : { iface }),
      reaches: targets.filter((t) => own.filter((p) => p.to === t).every((p) => p.verdict === 'ok')),
      fails: targets.filter((t) => own.some((p) => p.to === t && isFailure(p.verdict))),
    };
  });
}

const sameEndpoint = (a: Endpoint, b: Endpoint): boolean => a.address === b.address && a.port === b.port;

/**
 * The callback listener's record of a probe's connection, joined on all four of its ends: the
 * agent's reported local endpoint as the listener's peer, and the probe's address and port as the
 * listener's own. An endpoint is reused only after its connection ended, so the latest record is
 * the probe's. A hello the listener saw from another endpoint than the agent's (a NAT) makes a
 * missing record say nothing.
 */
function connectionOf(probe: PlannedProbe, result: ProbeResult, view: ConnectionView | undefined, translated: boolean): LedgerConnection | null | undefined {
  const local = result.local;
  if (local === undefined || view === undefined || probe.proto === 'ftp') return undefined;
  const found = view.records.filter((c) => sameEndpoint(c.peer, local) && sameEndpoint(c.listener, probe)).at(-1);
  return found ?? (view.complete && !translated ? null : undefined);
}

/** Where a callback starts and ends: its source (when planned) and controller address. */
const originOf = (probe: PlannedProbe): string => `${probe.source ?? ''}|${probe.address}`;

/** The node's probes with what was seen of each, grouped as paths: web callbacks, their alternate-port hellos, FTP. */
function observe(n: NodeEvidence): { groups: ObservedProbe[][]; alternates: Map<string, ObservedProbe[]>; ftp: ObservedProbe[] } {
  const finished = n.events.filter((e): e is ProbeResult => e.t === 'probe');
  const results = new Map(finished.map((r) => [r.id, r]));
  const retries = new Map(n.events.filter((e): e is ProbeRetry => e.t === 'retry').map((r) => [r.id, r]));
  const translated = [...results.values()].some((r) => r.seen !== undefined && r.local !== undefined && !sameEndpoint(r.seen, r.local));
  const observed = (probe: PlannedProbe): ObservedProbe => {
    const result = results.get(probe.id);
    const retry = retries.get(probe.id);
    // The result line describes the first attempt; a retry's requests carry attempt 2.
    const ledger = n.ledger.filter((r) => r.probe === probe.id && r.attempt === undefined);
    if (result === undefined) return { probe, ledger };
    return { probe, result, ledger, connection: connectionOf(probe, result, n.connections, translated), finished: finished.indexOf(result), ...(retry === undefined ? {} : { retry }) };
  };
  const groups = new Map<string, ObservedProbe[]>();
  const alternates = new Map<string, ObservedProbe[]>();
  const ftp: ObservedProbe[] = [];
  for (const probe of n.probes) {
    if (probe.kind === 'ftp') {
      ftp.push(observed(probe));
      continue;
    }
    const [map, key] = probe.alternate === true ? [alternates, originOf(probe)] : [groups, `${originOf(probe)}|${probe.proto}|${probe.port}`];
    map.set(key, [...(map.get(key) ?? []), observed(probe)]);
  }
  return { groups: [...groups.values()], alternates, ftp };
}

/**
 * Why probes of the node have no results: the run was interrupted before its turn, its session
 * broke (and where), or SSH or the agent failed; undefined when the session did its part.
 */
function unfinishedOf(n: NodeEvidence, nodeVerdict: NodeKind | undefined): Unfinished | undefined {
  if (n.session === undefined) return { why: 'the run was interrupted before this node', nothingArrived: 'run interrupted before this node' };
  if (nodeVerdict === undefined) return undefined;
  if (nodeVerdict === 'ssh-session-lost') {
    const why = sessionBreakLabel(sessionBreak(n.session, n.events, n.probes.length));
    return { why, nothingArrived: `not measured: ${why}` };
  }
  const title = VERDICTS[nodeVerdict].title;
  return { why: `the session ended before the agent finished (${title})`, nothingArrived: `no agent results (${title})` };
}

/** Every callback and forward path of the node; `nodeVerdict` when SSH or the agent failed. */
function nodePaths(n: NodeEvidence, thresholds: Thresholds, facts: AgentFacts | undefined, nodeVerdict: NodeKind | undefined): PathReport[] {
  const { groups, alternates, ftp } = observe(n);
  const sourceOf = (probe: PlannedProbe): string | undefined => probe.source ?? facts?.routes.find((r) => r.to === probe.address)?.source;
  const contextFor = (probe: PlannedProbe): PathContext => {
    const source = sourceOf(probe);
    return {
      facts,
      thresholds,
      ...(n.pathMtu === undefined ? {} : { pathMtu: n.pathMtu }),
      controllerSynFrom: (port) =>
        n.controllerHalfOpen?.sightings.find((s) => s.port === port && s.local === probe.address && (s.remote === source || (source === undefined && n.addresses.includes(s.remote)))),
      quality: qualityContextFor(n, probe, source),
    };
  };
  const unfinished = unfinishedOf(n, nodeVerdict);
  const judgeGroup = (items: ObservedProbe[], ctx: PathContext) => (unfinished === undefined ? judgeCallbackPath(items, ctx) : judgeUnfinishedPath(items, ctx, unfinished));

  const paths: PathReport[] = [];
  for (const items of groups) {
    const probe = items[0]!.probe;
    const judgement = judgeGroup(items, contextFor(probe));
    const alt = alternates.get(originOf(probe));
    const evidence = alt !== undefined && isFailure(judgement.verdict) && judgement.evidence.kind !== 'not-run' ? { ...judgement.evidence, alternates: alternatesFor(alt) } : judgement.evidence;
    paths.push({ direction: 'callback', from: sourceOf(probe) ?? n.name, to: probe.address, port: probe.port, proto: probe.proto, ...judgement, evidence });
  }
  for (const item of ftp) {
    const { probe } = item;
    const j =
      unfinished !== undefined && item.result === undefined
        ? { control: unreportedPath([item], unfinished), data: unreportedPath([item], unfinished), dataPort: probe.dataPorts?.first ?? 0 }
        : judgeFtp(item, contextFor(probe));
    const from = sourceOf(probe) ?? n.name;
    paths.push({ direction: 'callback', from, to: probe.address, port: probe.port, proto: 'ftp', ...j.control });
    paths.push({ direction: 'callback', from, to: probe.address, port: j.dataPort, proto: 'ftp-data', ...j.data });
  }
  const halfOpen = n.events.find((e): e is AgentHalfOpen => e.t === 'halfopen');
  // SSH reached its address unless the session failed to connect at all.
  const sshReached = n.session !== undefined && nodeVerdict !== 'ssh-unreachable' ? [n.sshAddress ?? n.addresses[0]] : [];
  const answering = new Set([...n.forward.filter(forwardAnswered).map((f) => f.address), ...sshReached].filter((a): a is string => a !== undefined));
  paths.push(...n.forward.map((f) => forwardPath(f, { halfOpen, agentless: n.agentless === true, answering })));
  return paths;
}

/** Marks the callbacks the run's update manager does not need from this node (their kind says why). */
function markUnneeded(paths: PathReport[], unneeded: NodeEvidence['unneededCallbacks']): PathReport[] {
  if (unneeded === undefined) return paths;
  return paths.map((p) => {
    const why = p.direction === 'callback' ? unneeded[p.proto === 'ftp-data' ? 'ftp' : (p.proto as CallbackKind)] : undefined;
    return why === undefined ? p : { ...p, notNeeded: why };
  });
}

/** One information path per callback left untested by choice and per controller address: not a fault, and not an error. */
function notTestedPaths(n: NodeEvidence): PathReport[] {
  return (n.notTested ?? []).flatMap((c) =>
    n.callbackAddresses.map((address): PathReport => ({
      direction: 'callback',
      from: n.name,
      to: address,
      port: c.port,
      proto: c.proto,
      verdict: 'not-measured',
      summary: `not tested by choice (--callbacks off): ${c.why}`,
      evidence: { kind: 'not-run', byChoice: 'callbacks-off' },
      notNeeded: c.why,
    })),
  );
}

/** One node's report from its evidence; remedies are added with the fleet's findings. */
export function diagnoseNode(n: NodeEvidence, thresholds: Thresholds = DEFAULT_THRESHOLDS): NodeReport {
  const hello = n.events.find((e): e is AgentHello => e.t === 'agent');
  const facts = n.events.find((e): e is AgentFacts => e.t === 'facts');
  const nodeVerdict = n.session?.verdict;
  const paths = [...markUnneeded([...nodePaths(n, thresholds, facts, nodeVerdict), ...(n.redfishPaths ?? [])], n.unneededCallbacks), ...notTestedPaths(n)];

  let verdict: VerdictKind = nodeVerdict ?? 'ok';
  // A callback the update manager does not need is information: it never makes the node's verdict.
  for (const p of paths) if (p.notNeeded === undefined) verdict = worse(verdict, p.verdict);
  if (nodeVerdict !== undefined) verdict = nodeVerdict;

  const report: NodeReport = {
    name: n.name,
    addresses: n.addresses,
    profile: n.profile,
    verdict,
    callbackAddresses: n.callbackAddresses,
    paths,
    ms: n.session?.ms ?? n.ms ?? 0,
  };
  if (n.sshAddress !== undefined) report.sshAddress = n.sshAddress;
  const sources = [...new Set(n.probes.map((p) => p.source).filter((x): x is string => x !== undefined))];
  if (sources.length > 1 && nodeVerdict === undefined) report.nics = nicReach(sources, paths, facts);
  if (nodeVerdict !== undefined && n.session !== undefined) {
    report.nodeVerdict = nodeVerdict;
    report.nodeEvidence = sessionFailureEvidence(n.session, n.events, n.probes.length);
  }
  if (n.manager !== undefined) report.manager = n.manager;
  if (n.agentless === true) report.agentless = true;
  if (hello !== undefined) {
    report.agent = { flavour: hello.flavour, version: hello.version, runtime: hello.runtime, platform: hello.platform };
    if (n.session?.agent !== undefined) report.agent.scriptBytes = n.session.agent.scriptBytes;
  }
  return report;
}
