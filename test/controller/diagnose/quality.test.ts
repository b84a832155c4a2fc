/** Path quality (controller/diagnose/quality.ts): each figure against its threshold, table-driven, and what is not measured said so. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_THRESHOLDS } from '../../../controller/diagnose/inputs.js';
import type { ObservedProbe } from '../../../controller/diagnose/probe.js';
import { type QualityContext, STATUS_POSTS_ESTIMATED, judgeQuality } from '../../../controller/diagnose/quality.js';
import type { ControllerTcpView } from '../../../src/evidence.js';
import type { PlannedProbe, ProbeResult } from '../../../src/protocol.js';

const MiB = 1024 * 1024;
const base = { proto: 'http', address: '10.9.0.1', port: 63001 } as const;

function observed(kind: PlannedProbe['kind'], result: Partial<ProbeResult>, size?: number): ObservedProbe {
  const id = `${kind}-${size ?? 0}`;
  return {
    probe: { ...base, id, kind, ...(size === undefined ? {} : { size }) },
    result: { t: 'probe', id, outcome: 'ok', phase: 'body', ms: 10, ...result },
    ledger: [],
  };
}

/** A path whose probes took these times: connects of `connectMs`, an 8 MiB download and a 1 MiB upload, two status posts. */
function path(o: { connectMs?: number; downloadMs?: number; uploadMs?: number; postMs?: number }): ObservedProbe[] {
  const c = o.connectMs === undefined ? {} : { connectMs: o.connectMs };
  return [
    observed('hello', { ...c }),
    observed('download', { ...c, ms: o.downloadMs ?? 100 }, 8 * MiB),
    observed('upload', { ...c, ms: o.uploadMs ?? 100 }, MiB),
    observed('status', { ...c, posts: [{ ms: o.postMs ?? 5, ok: true }, { ms: o.postMs ?? 5, ok: true }] }),
  ];
}

const tcp = (o: Partial<ControllerTcpView>): ControllerTcpView => ({ connections: 3, dataSegsOut: 6000, retransSegs: 0, bytesAcked: 8 * MiB, bytesReceived: MiB, ...o });
const ctx = (o: Partial<QualityContext> = {}): QualityContext => ({ thresholds: DEFAULT_THRESHOLDS, controllerTcp: tcp({ minRttMs: 0.2 }), controllerSampled: true, nodeHostTcp: undefined, ...o });

test('judgeQuality: each figure past its threshold makes the path slow, and only then', () => {
  const t = DEFAULT_THRESHOLDS;
  const rows: { name: string; items: ObservedProbe[]; ctx: QualityContext; past: string[] }[] = [
    { name: 'a fast, clean path', items: path({ connectMs: 0.3 }), ctx: ctx(), past: [] },
    { name: 'handshake just under --max-rtt', items: path({ connectMs: t.maxRttMs }), ctx: ctx({ controllerTcp: tcp({ minRttMs: t.maxRttMs }) }), past: [] },
    { name: 'both sides see a long round trip', items: path({ connectMs: t.maxRttMs + 30 }), ctx: ctx({ controllerTcp: tcp({ minRttMs: t.maxRttMs + 20 }) }), past: ['rtt'] },
    // The floor decides: one side's figure inflated by a queue does not make a short path long.
    { name: 'a queue behind a transfer on one side only', items: path({ connectMs: 2 }), ctx: ctx({ controllerTcp: tcp({ minRttMs: t.maxRttMs * 3 }) }), past: [] },
    { name: 'handshake alone, no controller sample', items: path({ connectMs: t.maxRttMs + 1 }), ctx: ctx({ controllerTcp: undefined }), past: ['rtt'] },
    // 8 MiB in 8 s is 8.4 Mbit/s, below 10; 1 MiB in 10 s is 0.8 Mbit/s, below 1; in 1 s 8.4, not slow for an upload.
    { name: 'slow toward the node', items: path({ downloadMs: 8000 }), ctx: ctx(), past: ['download'] },
    { name: 'slow toward the controller', items: path({ uploadMs: 10_000 }), ctx: ctx(), past: ['upload'] },
    { name: 'an upload below --min-mbps but above --min-upload-mbps', items: path({ uploadMs: 1000 }), ctx: ctx(), past: [] },
    { name: 'loss above --max-loss', items: path({}), ctx: ctx({ controllerTcp: tcp({ minRttMs: 1, retransSegs: 120, dataSegsOut: 6000 }) }), past: ['loss'] },
    { name: 'loss exactly at --max-loss', items: path({}), ctx: ctx({ controllerTcp: tcp({ minRttMs: 1, retransSegs: 60, dataSegsOut: 6000 }) }), past: [] },
    // 50 retransmissions of 500 is 10 %, but 500 segments are too few to judge.
    { name: 'too few segments to judge loss', items: path({}), ctx: ctx({ controllerTcp: tcp({ minRttMs: 1, retransSegs: 50, dataSegsOut: 500 }) }), past: [] },
    {
      name: 'everything at once',
      items: path({ connectMs: 400, downloadMs: 20_000, uploadMs: 20_000 }),
      ctx: ctx({ controllerTcp: tcp({ minRttMs: 390, retransSegs: 300, dataSegsOut: 6000 }) }),
      past: ['rtt', 'download', 'upload', 'loss'],
    },
  ];
  for (const row of rows) {
    const j = judgeQuality(row.items, row.ctx);
    assert.deepEqual(j.quality.pastThresholds.map((b) => b.measure), row.past, row.name);
    assert.equal(j.reasons.length, row.past.length, `${row.name}: one clause per breach`);
    for (const b of j.quality.pastThresholds) assert.ok(b.measure === 'download' || b.measure === 'upload' ? b.value < b.limit : b.value > b.limit, `${row.name}: ${b.measure} ${b.value} vs ${b.limit}`);
  }
});

test('judgeQuality: the thresholds are the flags\' values, not constants', () => {
  const items = path({ connectMs: 100 });
  assert.deepEqual(judgeQuality(items, ctx()).quality.pastThresholds, []);
  const strict = { ...DEFAULT_THRESHOLDS, maxRttMs: 50 };
  assert.deepEqual(judgeQuality(items, ctx({ thresholds: strict, controllerTcp: tcp({ minRttMs: 99 }) })).quality.pastThresholds, [{ measure: 'rtt', value: 99, limit: 50 }]);
  const lax = { ...DEFAULT_THRESHOLDS, maxLossPct: 5 };
  assert.deepEqual(judgeQuality(items, ctx({ thresholds: lax, controllerTcp: tcp({ minRttMs: 1, retransSegs: 240, dataSegsOut: 6000 }) })).quality.pastThresholds, []);
});

test('judgeQuality: the figures both ways, the estimates, and the node\'s whole-host counters as information', () => {
  const j = judgeQuality(path({ connectMs: 240, downloadMs: 2000, uploadMs: 40_000, postMs: 600 }), ctx({ controllerTcp: tcp({ minRttMs: 241, rttMs: 250, retransSegs: 180, dataSegsOut: 6000 }), nodeHostTcp: { outSegs: 5000, retransSegs: 55 } }));
  const q = j.quality;
  assert.deepEqual(q.handshakeRttMs, { min: 240, median: 240, samples: 4 });
  assert.equal(q.rttMs, 240);
  assert.equal(q.downloadMbps, 33.6);
  assert.equal(q.uploadMbps, 0.2);
  assert.equal(q.lossPct, 3);
  assert.deepEqual(q.nodeHostRetrans, { outSegs: 5000, retransSegs: 55, pct: 1.1 });
  assert.equal(q.statusPostMs, 600);
  assert.equal(q.statusEstimateSec, (600 * STATUS_POSTS_ESTIMATED) / 1000);
  assert.deepEqual(q.pastThresholds.map((b) => b.measure), ['upload', 'loss']);
  assert.match(j.reasons.join('; '), /upload of 1 MiB took 40000 ms \(0\.2 Mbit\/s toward the controller, below 1\); the controller retransmitted 180 of 6000 segments toward the node \(3 %, above 1 %\)/);
  assert.match(j.consequences.join('; '), /firmware bundle would take about .*; 100 status posts take about 60 s \(600 ms each\)/);
  assert.equal(q.notMeasured, undefined);
});

test('judgeQuality: what an agent or the controller cannot measure is said, not guessed', () => {
  const j = judgeQuality([observed('hello', {}), observed('status', { posts: [{ ms: 3, ok: true }] })], ctx({ controllerTcp: undefined, controllerSampled: false }));
  assert.equal(j.quality.rttMs, undefined);
  assert.deepEqual(j.quality.pastThresholds, []);
  assert.deepEqual(j.quality.notMeasured, [
    'handshake round trip: this agent does not time its connects',
    "controller's TCP_INFO: ss could not be run",
    'throughput toward the node: no download of 256 KiB or more passed on this path',
    'throughput toward the controller: no upload of 256 KiB or more passed on this path',
    "node's retransmissions: this agent does not read the node's TCP counters",
  ]);
});
