/**
 * Evidence for the diagnosis tests (test/controller/diagnose, test/controller/remedy): a real plan,
 * the agent's results (every probe ok unless overridden), the listener's ledger; the session is
 * judged the way the run judges it (controller/diagnose/session.ts).
 */
import type { NodeEvidence, SessionEvidence } from '../../controller/diagnose/inputs.js';
import { diagnoseNode } from '../../controller/diagnose/node.js';
import { judgeSession } from '../../controller/diagnose/session.js';
import type { LedgerConnection, LedgerRequest } from '../../controller/wire/ledger.js';
import type { HalfOpenView } from '../../controller/host/halfopen-sampler.js';
import { buildPlan, DEFAULT_DEADLINES, FTP_FILE_SIZE, type PlanSettings } from '../../controller/run/plan.js';
import type { AgentEvent, FtpResult, Plan, ProbeResult } from '../../src/protocol.js';
import type { NodeReport, PathReport } from '../../src/report.js';
import type { VerdictKind } from '../../src/verdicts.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';

export const CONTROLLER = '10.9.0.1';
export const NODE_ADDR = '10.9.1.2';
export const SETTINGS: PlanSettings = {
  runId: 'r',
  sizes: [1024, 65536, 1048576],
  httpPort: 63001,
  httpsPort: 63002,
  alternates: { http: 80, https: 443 },
  statusPosts: 2,
  statusIntervalMs: 10,
  holdMs: 4000,
  deadlines: DEFAULT_DEADLINES,
  agentConcurrency: 4,
  fingerprint256: 'AA:BB',
};
export const DIGESTS = { download: () => 'sha', upload: () => 'sha-up' };
export const plan = buildPlan({ node: 'n1', token: 'tok', callbackAddresses: [CONTROLLER], sources: [] }, DIGESTS, SETTINGS);
export const httpProbes = plan.probes.filter((p) => p.proto === 'http');

export const OK_SESSION: SessionEvidence = { exitCode: 0, stderr: '', timedOut: false, interrupted: false, ms: 900 };
export const AGENT: AgentEvent = { t: 'agent', flavour: 'node', version: '0.1.0', runtime: 'v20', platform: 'linux' };
export const FACTS: AgentEvent = { t: 'facts', hostname: 'n1', addresses: [{ iface: 'eth0', address: NODE_ADDR, family: 'IPv4' }], routes: [{ to: CONTROLLER, source: NODE_ADDR, iface: 'eth0' }] };
export const DONE: AgentEvent = { t: 'done', ms: 800 };

export function okResult(id: string, from: Plan = plan): ProbeResult {
  const probe = from.probes.find((p) => p.id === id)!;
  const r: ProbeResult = { t: 'probe', id, outcome: 'ok', phase: 'body', ms: 5, local: { address: NODE_ADDR, port: 40000 } };
  if (probe.kind === 'hello') r.seen = { address: NODE_ADDR, port: 40000 };
  if (probe.kind === 'download' || probe.kind === 'upload') r.bytes = probe.size!;
  if (probe.kind === 'status') r.posts = [{ ms: 2, ok: true }, { ms: 2, ok: true }];
  if (probe.kind === 'hold') r.hold = { idleMs: 4000, push: true, pong: true };
  return r;
}

export function ledgerFor(id: string): LedgerRequest {
  return {
    node: 'n1', probe: id, proto: 'http', listener: { address: CONTROLLER, port: 63001 }, peer: { address: NODE_ADDR, port: 40000 },
    method: 'GET', at: 1, bytesPlanned: 0, bytesWritten: 0, bytesReceived: 0, completed: true, aborted: false,
  };
}

/** NodeEvidence with the session as SSH gave it (judged here), or none: the run was interrupted first. */
export type NodeInput = Omit<NodeEvidence, 'session'> & { session?: SessionEvidence };

/** The input diagnosis gets: the session judged from itself and the events, as the run does it. */
export function judged(input: NodeInput): NodeEvidence {
  const { session, ...rest } = input;
  return session === undefined ? rest : { ...rest, session: judgeSession(session, input.events) };
}

/** Every probe ok except the overrides given (by probe id); `extra` replaces whole fields. */
export function evidence(overrides: Partial<Record<string, Partial<ProbeResult>>> = {}, extra: Partial<NodeInput> = {}): NodeEvidence {
  const results = plan.probes.map((p) => ({ ...okResult(p.id), ...overrides[p.id] }) as ProbeResult);
  return judged({
    name: 'n1',
    addresses: [NODE_ADDR],
    profile: 'linux',
    callbackAddresses: [CONTROLLER],
    probes: plan.probes,
    session: OK_SESSION,
    events: [AGENT, FACTS, ...results, DONE],
    ledger: [],
    forward: [{ address: NODE_ADDR, port: 22, probe: 'tcp' as const, purpose: 'ssh', needs: 'service' as const, result: { outcome: 'open', ms: 1 } }],
    ...extra,
  });
}

export function sshFailure(exitCode: number | null, stderr: string, more: Partial<SessionEvidence> = {}): NodeEvidence {
  return evidence({}, { session: { ...OK_SESSION, exitCode, stderr, ...more }, events: [] });
}

/** The controller held a SYN from `remote` half-open on `port`. */
export function synSeen(remote: string, port: number): HalfOpenView {
  return { measured: true, sightings: [{ remote, local: CONTROLLER, port, firstAt: 100, lastAt: 900, connections: 1 }] };
}

/** The listener's record of a connection from the node's `port` to the controller's `listenerPort`. */
export function accepted(port: number, listenerPort: number, more: Partial<LedgerConnection> = {}): LedgerConnection {
  return { proto: listenerPort === 63002 ? 'https' : 'http', peer: { address: NODE_ADDR, port }, listener: { address: CONTROLLER, port: listenerPort }, at: 120, ...more };
}

/** Every http callback probe (not the alternate) with the same outcome. */
export function allHttp(result: Partial<ProbeResult>): Record<string, Partial<ProbeResult>> {
  return Object.fromEntries(httpProbes.filter((p) => p.alternate !== true).map((p) => [p.id, result]));
}

export const httpPath = (report: NodeReport): PathReport => report.paths.find((p) => p.direction === 'callback' && p.proto === 'http')!;
export const httpsPath = (report: NodeReport): PathReport => report.paths.find((p) => p.direction === 'callback' && p.proto === 'https')!;

/** A dual-homed node (NODE_ADDR "prod", 10.9.4.2 "mgmt") whose mgmt address cannot call back; 80/443 pass from both. */
export function dualHomed(): NodeReport {
  const dual = buildPlan({ node: 'd', token: 't', callbackAddresses: [CONTROLLER], sources: [NODE_ADDR, '10.9.4.2'] }, DIGESTS, { ...SETTINGS, holdMs: 0 });
  const results = dual.probes.map((p): ProbeResult =>
    p.source === '10.9.4.2' && p.alternate !== true ? { t: 'probe', id: p.id, outcome: 'timeout', phase: 'connect', ms: 3000 } : { t: 'probe', id: p.id, outcome: 'ok', phase: 'body', ms: 3, bytes: p.size ?? 10, seen: { address: p.source ?? NODE_ADDR, port: 1 } },
  );
  const facts: AgentEvent = { t: 'facts', hostname: 'd', addresses: [{ iface: 'prod', address: NODE_ADDR, family: 'IPv4' }, { iface: 'mgmt', address: '10.9.4.2', family: 'IPv4' }], routes: [] };
  return diagnoseNode(evidence({}, { addresses: [NODE_ADDR, '10.9.4.2'], probes: dual.probes, events: [AGENT, facts, ...results, DONE] }));
}

// FTP: a switch stand-in with one ftp probe beside its web callbacks.

export const FTP_SETTINGS: PlanSettings = { ...SETTINGS, sizes: [1024], alternates: {}, statusPosts: 1, holdMs: 0, ftp: { controlPort: 21, dataPorts: { first: 63006, last: 63010 } } };
export const FTP_DIGESTS = { download: (size: number) => `sha-${size}`, upload: () => 'sha-up' };
export const ftpPlan = buildPlan({ node: 'sw1', token: 'tok', callbackAddresses: [CONTROLLER], sources: [], ftp: true }, FTP_DIGESTS, FTP_SETTINGS);
const FTP_OK: FtpResult = { controlOk: true, loginOk: true, pasvPort: 63007, dataConnected: true, reply: '226 transfer complete' };

export function ftpLedger(more: Partial<LedgerRequest> = {}): LedgerRequest {
  return {
    node: 'sw1', probe: 'ftp-0', proto: 'ftp', listener: { address: CONTROLLER, port: 21 }, peer: { address: NODE_ADDR, port: 40000 },
    method: 'RETR', at: 1, bytesPlanned: FTP_FILE_SIZE, bytesWritten: 0, bytesReceived: 0, completed: false, aborted: false, ftp: { pasvPort: 63007 }, ...more,
  };
}

/** Every web probe ok; the ftp probe's result as given. */
export function ftpEvidence(ftp: Partial<ProbeResult>, extra: Partial<NodeInput> = {}): NodeEvidence {
  const results = ftpPlan.probes.map((p): ProbeResult =>
    p.kind === 'ftp'
      ? { t: 'probe', id: p.id, outcome: 'ok', phase: 'body', ms: 200, bytes: FTP_FILE_SIZE, ftp: FTP_OK, ...ftp }
      : { t: 'probe', id: p.id, outcome: 'ok', phase: 'body', ms: 5, bytes: p.size ?? 10, seen: { address: NODE_ADDR, port: 1 }, ...(p.kind === 'status' ? { posts: [{ ms: 1, ok: true }] } : {}) },
  );
  return judged({
    name: 'sw1',
    addresses: [NODE_ADDR],
    profile: 'linux',
    callbackAddresses: [CONTROLLER],
    probes: ftpPlan.probes,
    session: { exitCode: 0, stderr: '', timedOut: false, interrupted: false, ms: 900 },
    events: [AGENT, FACTS, ...results, DONE],
    ledger: [ftpLedger({ bytesWritten: FTP_FILE_SIZE, completed: true, ftp: { pasvPort: 63007, dataPeer: { address: NODE_ADDR, port: 40001 } } })],
    forward: [],
    ...extra,
  });
}

/** The data connection timed out after a working control connection and PASV. */
export const DATA_BLOCKED: Partial<ProbeResult> = {
  outcome: 'timeout',
  phase: 'data-connect',
  ms: 3000,
  bytes: undefined,
  ftp: { controlOk: true, loginOk: true, pasvPort: 63007, dataConnected: false, reply: '227 Entering Passive Mode (10,9,0,1,246,31)' },
};


/** A row of a classification table: evidence in, the node verdict (and the http path's) out. */
export interface ClassifyRow {
  name: string;
  input: NodeEvidence;
  node: VerdictKind;
  http?: VerdictKind;
  check?: (r: NodeReport) => void;
}

/** One test per row, named after it. */
export function classifyRows(rows: readonly ClassifyRow[]): void {
  for (const row of rows) {
    test(`classify: ${row.name} -> ${row.node}`, () => {
      const report = diagnoseNode(row.input);
      assert.equal(report.verdict, row.node);
      if (row.http !== undefined) assert.equal(httpPath(report).verdict, row.http);
      row.check?.(report);
    });
  }
}
