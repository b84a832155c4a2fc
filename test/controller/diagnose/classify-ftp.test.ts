/** FTP in the plan, in classification (a control path and a data path per probe) and in the remedies. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyNode, type NodeEvidence } from '../../../controller/diagnose/classify.js';
import type { LedgerRequest } from '../../../controller/wire/ledger.js';
import { buildPlan, DEFAULT_DEADLINES, FTP_FILE_SIZE, type PlanSettings } from '../../../controller/run/plan.js';
import { remediesForNode } from '../../../controller/remedy/remedies.js';
import { NO_HINTS } from '../../../src/profiles.js';
import type { AgentEvent, FtpResult, ProbeResult } from '../../../src/protocol.js';
import type { PathReport } from '../../../src/report.js';

const CONTROLLER = '10.9.0.1';
const NODE_ADDR = '10.9.1.2';
const SETTINGS: PlanSettings = {
  runId: 'r',
  sizes: [1024],
  httpPort: 63001,
  httpsPort: 63002,
  alternates: {},
  statusPosts: 1,
  statusIntervalMs: 10,
  holdMs: 0,
  deadlines: DEFAULT_DEADLINES,
  agentConcurrency: 4,
  fingerprint256: 'AA:BB',
  ftp: { controlPort: 21, dataPorts: { first: 63006, last: 63010 } },
};
const DIGESTS = { download: (size: number) => `sha-${size}`, upload: () => 'sha-up' };
const plan = buildPlan({ node: 'sw1', token: 'tok', callbackAddresses: [CONTROLLER], sources: [], ftp: true }, DIGESTS, SETTINGS);

const AGENT: AgentEvent = { t: 'agent', flavour: 'node', version: '0.1.0', runtime: 'v20', platform: 'linux' };
const FACTS: AgentEvent = { t: 'facts', hostname: 'sw1', addresses: [{ iface: 'eth0', address: NODE_ADDR, family: 'IPv4' }], routes: [{ to: CONTROLLER, source: NODE_ADDR, iface: 'eth0' }] };
const DONE: AgentEvent = { t: 'done', ms: 800 };
const FTP_OK: FtpResult = { controlOk: true, loginOk: true, pasvPort: 63007, dataConnected: true, reply: '226 transfer complete' };

function ftpLedger(more: Partial<LedgerRequest> = {}): LedgerRequest {
  return {
    node: 'sw1', probe: 'ftp-0', proto: 'ftp', listener: { address: CONTROLLER, port: 21 }, peer: { address: NODE_ADDR, port: 40000 },
    method: 'RETR', at: 1, bytesPlanned: FTP_FILE_SIZE, bytesWritten: 0, bytesReceived: 0, completed: false, aborted: false, ftp: { pasvPort: 63007 }, ...more,
  };
}

/** Every web probe ok; the ftp probe's result as given. */
function evidence(ftp: Partial<ProbeResult>, extra: Partial<NodeEvidence> = {}): NodeEvidence {
  const results = plan.probes.map((p): ProbeResult =>
    p.kind === 'ftp'
      ? { t: 'probe', id: p.id, outcome: 'ok', phase: 'body', ms: 200, bytes: FTP_FILE_SIZE, ftp: FTP_OK, ...ftp }
      : { t: 'probe', id: p.id, outcome: 'ok', phase: 'body', ms: 5, bytes: p.size ?? 10, seen: { address: NODE_ADDR, port: 1 }, ...(p.kind === 'status' ? { posts: [{ ms: 1, ok: true }] } : {}) },
  );
  return {
    name: 'sw1',
    addresses: [NODE_ADDR],
    profile: 'linux',
    callbackAddresses: [CONTROLLER],
    probes: plan.probes,
    session: { exitCode: 0, stderr: '', timedOut: false, interrupted: false, ms: 900 },
    events: [AGENT, FACTS, ...results, DONE],
    ledger: [ftpLedger({ bytesWritten: FTP_FILE_SIZE, completed: true, ftp: { pasvPort: 63007, dataPeer: { address: NODE_ADDR, port: 40001 } } })],
    forward: [],
    ...extra,
  };
}

function ftpPaths(input: NodeEvidence): { control: PathReport; data: PathReport; node: ReturnType<typeof classifyNode> } {
  const node = classifyNode(input);
  const control = node.paths.find((p) => p.proto === 'ftp');
  const data = node.paths.find((p) => p.proto === 'ftp-data');
  assert.ok(control && data, 'an ftp and an ftp-data path');
  return { control, data, node };
}

const DATA_BLOCKED: Partial<ProbeResult> = { outcome: 'timeout', phase: 'data-connect', ms: 3000, bytes: undefined, ftp: { controlOk: true, loginOk: true, pasvPort: 63007, dataConnected: false, reply: '227 Entering Passive Mode (10,9,0,1,246,31)' } };

test('plan: one ftp probe per callback address, only for nodes with ftp and a run with an FTP listener', () => {
  const probe = plan.probes.filter((p) => p.kind === 'ftp');
  assert.deepEqual(probe, [{ id: 'ftp-0', kind: 'ftp', proto: 'ftp', address: CONTROLLER, port: 21, dataPorts: { first: 63006, last: 63010 }, size: FTP_FILE_SIZE, sha256: `sha-${FTP_FILE_SIZE}` }]);
  const without = buildPlan({ node: 'n', token: 't', callbackAddresses: [CONTROLLER], sources: [] }, DIGESTS, SETTINGS);
  assert.equal(without.probes.some((p) => p.kind === 'ftp'), false);
  const noListener = buildPlan({ node: 'n', token: 't', callbackAddresses: [CONTROLLER], sources: [], ftp: true }, DIGESTS, { ...SETTINGS, ftp: undefined });
  assert.equal(noListener.probes.some((p) => p.kind === 'ftp'), false);
});

test('classify ftp: all passed: control and data ok, the data path on the port PASV offered', () => {
  const { control, data, node } = ftpPaths(evidence({}));
  assert.equal(node.verdict, 'ok');
  assert.deepEqual([control.port, control.verdict, data.port, data.verdict], [21, 'ok', 63007, 'ok']);
  assert.match(data.summary, /FTP data to passive port 63007: 1 MiB passed/);
});

test('classify ftp: control passes, the data connection times out and the listener saw nothing: data blocked, with the range and its own fixes', () => {
  const { control, data, node } = ftpPaths(evidence(DATA_BLOCKED, { ledger: [ftpLedger()] }));
  assert.equal(control.verdict, 'ok');
  assert.equal(data.verdict, 'blocked');
  assert.equal(data.port, 63007);
  assert.equal(node.verdict, 'blocked');
  assert.match(data.summary, /connect timed out and the listener saw nothing, while control on port 21 works: a firewall passes 21 but not the passive range 63006-63010/);
  assert.equal(data.evidence.listenerPasvPort, 63007);
  assert.equal(data.evidence.listenerDataPeer, undefined);
  const lines = remediesForNode(node, { httpPort: 63001, httpsPort: 63002, hints: NO_HINTS }, () => false).flatMap((r) => r.lines);
  assert.ok(lines.includes(`iptables -I FORWARD -s ${NODE_ADDR} -d ${CONTROLLER} -p tcp --dport 63006:63010 -j ACCEPT`), lines.join('\n'));
  assert.ok(lines.includes('modprobe nf_conntrack_ftp'));
  assert.ok(!lines.some((l) => l.includes('--dports 63007')), 'not the generic per-port egress fix');
});

test('classify ftp: the data SYN reached the controller (SYN_RECV on the passive port): its answer is lost', () => {
  const halfOpen = { measured: true, sightings: [{ remote: NODE_ADDR, local: CONTROLLER, port: 63007, firstAt: 1, lastAt: 2, connections: 1 }] };
  const { control, data } = ftpPaths(evidence(DATA_BLOCKED, { ledger: [ftpLedger()], controllerHalfOpen: halfOpen }));
  assert.equal(control.verdict, 'ok');
  assert.equal(data.verdict, 'return-path-lost');
  assert.match(data.summary, /the controller got the SYN from 10\.9\.1\.2 \(SYN_RECV\)/);
});

test('classify ftp: the passive port refuses: data rejected', () => {
  const { data } = ftpPaths(evidence({ ...DATA_BLOCKED, outcome: 'refused' }, { ledger: [ftpLedger()] }));
  assert.equal(data.verdict, 'rejected');
  assert.match(data.summary, /connection refused \(control on port 21 works\)/);
});

test('classify ftp: the control connection times out: control blocked, data not measured', () => {
  const { control, data, node } = ftpPaths(
    evidence({ outcome: 'timeout', phase: 'connect', ms: 3000, bytes: undefined, ftp: { controlOk: false, loginOk: false, dataConnected: false } }, { ledger: [] }),
  );
  assert.equal(control.verdict, 'blocked');
  assert.match(control.summary, /^FTP control \(port 21\): connect timed out/);
  assert.equal(data.verdict, 'not-measured');
  assert.equal(data.port, 63006, 'no port offered: the range\'s first');
  assert.equal(node.verdict, 'blocked');
});

test('classify ftp: a refused login is the control path rejected', () => {
  const { control, data } = ftpPaths(
    evidence({ outcome: 'ftp-error', phase: 'request', bytes: undefined, ftp: { controlOk: true, loginOk: false, dataConnected: false, reply: '530 login incorrect' } }, { ledger: [] }),
  );
  assert.equal(control.verdict, 'rejected');
  assert.match(control.summary, /login refused \(530 login incorrect\)/);
  assert.equal(data.verdict, 'not-measured');
});

test('classify ftp: the file stops on the data connection: data stalled at its offset, control ok', () => {
  const { control, data } = ftpPaths(evidence({ outcome: 'stalled', phase: 'body', bytes: 1448, error: { code: 'TWOWAY_STALL', message: 'x' } }));
  assert.equal(control.verdict, 'ok');
  assert.equal(data.verdict, 'stalled');
  assert.match(data.summary, /^FTP data to passive port 63007: stalled at byte 1448/);
});
