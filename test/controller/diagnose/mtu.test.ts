/**
 * Why transfers stalled: their size (an MTU black hole) or the path stopping for a while (an outage),
 * table-driven over the judgement, then through the whole node diagnosis.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeStallCause, type StallCause, type StallWitness } from '../../../controller/diagnose/mtu.js';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import type { PathMtuMeasurement } from '../../../src/evidence.js';
import { NODE_ADDR, evidence, httpPath, ledgerFor } from '../../helpers/diagnose-input.js';
import { evidenceOf } from '../../helpers/evidence.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const ok = (id: string, kind: StallWitness['kind'], size: number | undefined, finished: number): StallWitness => ({ id, kind, ...(size === undefined ? {} : { size }), passed: true, stuck: false, finished });
const stuck = (id: string, kind: StallWitness['kind'], size: number, stallAt: number, finished: number): StallWitness => ({ id, kind, size, passed: false, stuck: true, stallAt, finished });

const retried = (w: StallWitness, retry: StallWitness['retry']): StallWitness => ({ ...w, retry });
const measured = (mtu: number, interfaceMtu = 1500): PathMtuMeasurement => ({ from: 'controller', to: NODE_ADDR, measured: true, mtu, interfaceMtu, probes: [], command: 'ping' });
const unmeasured: PathMtuMeasurement = { from: 'controller', to: NODE_ADDR, measured: false, reason: 'ping (iputils-ping) is not installed on the controller', probes: [], command: 'ping' };

interface Row {
  name: string;
  items: StallWitness[];
  pathMtu?: PathMtuMeasurement[];
  cause: StallCause['cause'];
  recovered?: boolean;
  says?: RegExp;
}

const ROWS: Row[] = [
  {
    name: 'small transfers pass after a large one stalled near its start: a size limit',
    items: [ok('dl-1k', 'download', KiB, 0), stuck('dl-64k', 'download', 64 * KiB, 1448, 1), ok('status', 'other', undefined, 2)],
    cause: 'size',
    says: /1 smaller exchange on the path passed after the stall/,
  },
  {
    name: 'a measured path MTU below the interface decides for size even with nothing passing after',
    items: [ok('dl-1k', 'download', KiB, 0), stuck('dl-64k', 'download', 64 * KiB, 1448, 1)],
    pathMtu: [measured(1400)],
    cause: 'size',
    says: /path MTU measured from the controller is 1400, below the interface's 1500/,
  },
  {
    name: 'a larger download passed while a smaller one stalled: not the size (an outage that recovered)',
    items: [ok('dl-1k', 'download', KiB, 0), stuck('dl-1m', 'download', MiB, 2000, 1), ok('dl-8m', 'download', 8 * MiB, 2)],
    cause: 'outage',
    recovered: true,
    says: /the 8 MiB download passed while the 1 MiB one stalled/,
  },
  {
    name: 'the issue 14 case: 970020 bytes arrived before the stall, status passed after: full-size packets crossed, an outage',
    items: [ok('dl-64k', 'download', 64 * KiB, 0), stuck('dl-1m', 'download', MiB, 970020, 1), ok('status', 'other', undefined, 2)],
    cause: 'outage',
    recovered: true,
    says: /970020 bytes of the 1 MiB download arrived before it stalled/,
  },
  {
    name: 'a full-size echo crossed the path after the stall: an outage, also with nothing else passing after',
    items: [ok('dl-1k', 'download', KiB, 0), stuck('dl-64k', 'download', 64 * KiB, 1448, 1)],
    pathMtu: [measured(1500)],
    cause: 'outage',
    recovered: true,
    says: /an echo of the full 1500 bytes with DF set crossed the path from the controller/,
  },
  {
    name: 'deep stall and nothing after it, nothing measured: an outage that did not recover',
    items: [ok('dl-64k', 'download', 64 * KiB, 0), stuck('dl-1m', 'download', MiB, 500000, 1)],
    pathMtu: [unmeasured],
    cause: 'outage',
    recovered: false,
  },
  {
    name: 'a stall near the start, nothing after it and the path MTU not measured: cannot be told apart',
    items: [ok('dl-1k', 'download', KiB, 0), stuck('dl-64k', 'download', 64 * KiB, 1448, 1)],
    pathMtu: [unmeasured],
    cause: 'undecided',
  },
  {
    name: 'a path MTU measured below the interface outweighs a larger upload passing (the lab\'s 1282-byte link stalled the 1 KiB upload, not the 64 KiB one)',
    items: [ok('dl-1k', 'download', KiB, 0), stuck('ul-1k', 'upload', KiB, 0, 1), ok('ul-64k', 'upload', 64 * KiB, 2), stuck('dl-64k', 'download', 64 * KiB, 0, 3)],
    pathMtu: [measured(1282)],
    cause: 'size',
    says: /is 1282, below the interface's 1500/,
  },
  {
    name: '64 KiB arriving before the stall outweighs a path MTU measured below the interface (a lower MTU whose ICMP works, and a flap)',
    items: [ok('dl-64k', 'download', 64 * KiB, 0), stuck('dl-1m', 'download', MiB, 300000, 1), ok('status', 'other', undefined, 2)],
    pathMtu: [measured(1400)],
    cause: 'outage',
    recovered: true,
    says: /300000 bytes of the 1 MiB download arrived before it stalled/,
  },
  {
    name: 'the stalled size passed when retried: an outage that recovered, even with a smaller exchange passing after (which alone would say size)',
    items: [ok('dl-1k', 'download', KiB, 0), retried(stuck('dl-64k', 'download', 64 * KiB, 1448, 1), 'passed'), ok('status', 'other', undefined, 2)],
    cause: 'outage',
    recovered: true,
    says: /the 64 KiB download passed whole when retried after the stall/,
  },
  {
    name: 'a transfer of about one packet passed when retried, but the path MTU measured below the interface: a size limit (seen on the lab: sh-curl, 1 KiB over https)',
    items: [ok('hello', 'other', undefined, 0), retried(stuck('dl-1k', 'download', KiB, 0, 1), 'passed'), ok('status', 'other', undefined, 2)],
    pathMtu: [measured(1341)],
    cause: 'size',
    says: /the path MTU measured from the controller is 1341, below the interface's 1500; the 1 KiB download passed when retried \(its packets fitted that time\)/,
  },
  {
    name: 'the stalled size passed when retried with nothing else after it: still recovered, the retry is the traffic after the stall',
    items: [ok('dl-1k', 'download', KiB, 0), retried(stuck('dl-64k', 'download', 64 * KiB, 1448, 1), 'passed')],
    pathMtu: [unmeasured],
    cause: 'outage',
    recovered: true,
  },
  {
    name: 'stalled again when retried while smaller exchanges passed after the first stall: a size limit, said with the retry',
    items: [ok('dl-1k', 'download', KiB, 0), retried(stuck('dl-64k', 'download', 64 * KiB, 1448, 1), 'stuck'), ok('ul-1k', 'upload', KiB, 2), ok('status', 'other', undefined, 3)],
    cause: 'size',
    says: /the 64 KiB download stalled again when retried, while 2 smaller exchanges on the path passed after the first stall/,
  },
  {
    name: 'stalled again when retried but 64 KiB had crossed before the stall: full-size packets pass, so not the MTU',
    items: [ok('dl-64k', 'download', 64 * KiB, 0), retried(stuck('dl-1m', 'download', MiB, 500000, 1), 'stuck'), ok('status', 'other', undefined, 2)],
    cause: 'outage',
    recovered: true,
  },
  {
    name: 'stalled again when retried and nothing passed after the first stall: everything stopped, size and outage look alike',
    items: [ok('dl-1k', 'download', KiB, 0), retried(stuck('dl-64k', 'download', 64 * KiB, 1448, 1), 'stuck')],
    pathMtu: [unmeasured],
    cause: 'undecided',
  },
  {
    name: 'a larger upload passing says nothing about downloads: uploads and downloads are told apart',
    items: [ok('ul-1m', 'upload', MiB, 0), stuck('dl-64k', 'download', 64 * KiB, 0, 1), ok('status', 'other', undefined, 2)],
    cause: 'size',
  },
];

for (const row of ROWS) {
  test(`stall cause: ${row.name}`, () => {
    const got = judgeStallCause(row.items, row.pathMtu ?? []);
    assert.equal(got.cause, row.cause);
    if (got.cause === 'outage') assert.equal(got.recovered, row.recovered);
    const text = got.cause === 'size' ? got.because : got.cause === 'outage' ? got.notSize.join('; ') : '';
    if (row.says !== undefined) assert.match(text, row.says);
  });
}

test('stall cause: a node whose 1 MiB download stalled at byte 970020 is a path outage, not an MTU black hole', () => {
  const r = diagnoseNode(evidence({ 'dl-http-0-1048576': { outcome: 'stalled', phase: 'body', bytes: 970020 } }));
  const path = httpPath(r);
  assert.equal(path.verdict, 'path-outage');
  assert.equal(r.verdict, 'path-outage');
  const e = evidenceOf(path, 'outage');
  assert.equal(e.stallAt, 970020);
  assert.ok(e.passedAfter.includes('status-http-0'), `passed after: ${e.passedAfter.join(', ')}`);
  assert.match(path.summary, /download of 1 MiB stalled at byte 970020, but not for its size: .*a transient outage/);
});

test('stall cause: the measured path MTU is in the size-boundary evidence and the summary', () => {
  const stalled = { 'dl-http-0-65536': { outcome: 'stalled' as const, phase: 'body' as const, bytes: 1448 }, 'dl-http-0-1048576': { outcome: 'stalled' as const, phase: 'body' as const, bytes: 0 } };
  const r = diagnoseNode(evidence(stalled, { pathMtu: [measured(1372)] }));
  const e = evidenceOf(httpPath(r), 'size-boundary');
  assert.deepEqual(e.pathMtu?.map((m) => m.mtu), [1372]);
  assert.match(httpPath(r).summary, /path MTU 1372 measured from the controller to 10\.9\.1\.2 \(ICMP echo, DF set/);
  const without = diagnoseNode(evidence(stalled, { pathMtu: [unmeasured] }));
  assert.match(httpPath(without).summary, /path MTU not measured from the controller to 10\.9\.1\.2: ping \(iputils-ping\) is not installed/);
  assert.doesNotMatch(httpPath(without).summary, /path MTU \d/, 'no figure where none was measured');
});

/** The 1 MiB download stalled near its start, then its retry line: the rest of the node passed. */
function retriedNode(retryOutcome: 'ok' | 'stalled'): ReturnType<typeof diagnoseNode> {
  const input = evidence({ 'dl-http-0-1048576': { outcome: 'stalled', phase: 'body', bytes: 1448 }, 'dl-http-0-8388608': { outcome: 'stalled', phase: 'body', bytes: 1448 } });
  const retry = { t: 'retry' as const, id: 'dl-http-0-1048576', outcome: retryOutcome, phase: 'body' as const, ms: 40, bytes: retryOutcome === 'ok' ? MiB : 1448 };
  const done = input.events.at(-1)!;
  return diagnoseNode({ ...input, events: [...input.events.slice(0, -1), retry, done] });
}

test('stall cause: the stalled size passing when the agent retried it is a transient path outage, with the retry in the evidence', () => {
  const path = httpPath(retriedNode('ok'));
  assert.equal(path.verdict, 'path-outage');
  const e = evidenceOf(path, 'outage');
  assert.deepEqual(e.retried, [{ probe: 'dl-http-0-1048576', outcome: 'ok', bytes: MiB }]);
  assert.ok(e.passedAfter.includes('dl-http-0-1048576'), `the retried download counts as traffic after the stall: ${e.passedAfter.join(', ')}`);
  assert.match(path.summary, /the 1 MiB download passed whole when retried after the stall/);
});

test('stall cause: the stalled size stalling again when retried while smaller ones passed is an MTU black hole, with the retry in the evidence and summary', () => {
  const path = httpPath(retriedNode('stalled'));
  assert.equal(path.verdict, 'mtu-blackhole');
  const e = evidenceOf(path, 'size-boundary');
  assert.deepEqual(e.retried, [{ probe: 'dl-http-0-1048576', outcome: 'stalled', bytes: 1448 }]);
  assert.match(path.summary, /dl-http-0-1048576 retried once: stalled again \(1448 bytes\)/);
});

test('stall cause: a retry request in the ledger (attempt 2) is not counted as the first attempt', () => {
  const first = { ...ledgerFor('ul-http-0-1048576'), method: 'POST', bytesPlanned: MiB, bytesReceived: 1448, completed: false };
  const second = { ...first, attempt: 2 as const, bytesReceived: MiB, completed: true };
  const input = evidence({ 'ul-http-0-1048576': { outcome: 'stalled', phase: 'body', bytes: 4000 } }, { ledger: [first, second] });
  const retry = { t: 'retry' as const, id: 'ul-http-0-1048576', outcome: 'ok' as const, phase: 'body' as const, ms: 40, bytes: MiB };
  const r = diagnoseNode({ ...input, events: [...input.events.slice(0, -1), retry, input.events.at(-1)!] });
  const e = evidenceOf(httpPath(r), 'outage');
  assert.equal(e.stallAt, 1448, 'the stall offset is the first attempt\'s, as the listener received it');
});
