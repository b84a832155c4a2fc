/** The bench's medians, ratios and table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type BenchResult, type ModeRun, median, modeMedians, renderMarkdown, twowayMedians } from '../../../controller/bench/summary.js';

function run(mode: ModeRun['mode'], rep: number, wallS: number, extra: Partial<ModeRun> = {}): ModeRun {
  return {
    mode,
    rep,
    wallS,
    exitCode: 0,
    timedOut: false,
    controllerCpuS: wallS / 2,
    nodeCpuS: wallS,
    machineBusyS: wallS * 2,
    otherCpuS: 0.1,
    failed: [],
    bytesPerNode: { sent: 1024 * rep, received: 512 },
    ...extra,
  };
}

function twowayRun(rep: number, wallS: number, dropped: number): ModeRun {
  return run('twoway', rep, wallS, {
    exitCode: 1,
    twoway: {
      ownCpuS: 1 + rep,
      childCpuS: 2,
      peakRssBytes: 100 * 1024 * 1024 + rep,
      timeline: { verdicts: { ok: 50, blocked: 1 }, startedS: 0.4, lastHealthyVerdictS: wallS - 1, dropped: [{ node: 'fleet-dropped-1', verdict: 'blocked', verdictS: dropped, afterNodeStartS: dropped - 1 }] },
    },
  });
}

const runs: ModeRun[] = [
  run('floor', 1, 2.0),
  run('baseline', 1, 3.0, { failed: ['fleet-dropped-1'] }),
  twowayRun(1, 9.0, 8.0),
  run('floor', 2, 2.4),
  run('baseline', 2, 2.6, { failed: ['fleet-dropped-1'] }),
  twowayRun(2, 7.0, 6.0),
  run('floor', 3, 2.2),
  run('baseline', 3, 2.8, { failed: ['fleet-dropped-1'] }),
  twowayRun(3, 8.0, 7.0),
];

test('median: the middle value, the mean of the two middle ones, and no value when there is none', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(median([NaN, 5]), 5);
});

test('per mode: medians of each figure, every run\'s wall time, failed nodes once', () => {
  const floor = modeMedians(runs, 'floor');
  assert.equal(floor.wallS, 2.2);
  assert.deepEqual(floor.walls, [2.0, 2.4, 2.2]);
  assert.equal(floor.bytesPerNode.sent, 2048);
  assert.deepEqual(modeMedians(runs, 'baseline').failed, ['fleet-dropped-1']);
  const t = twowayMedians(runs);
  assert.equal(t.ownCpuS, 3);
  assert.equal(t.droppedVerdictS, 7);
  assert.equal(t.droppedAfterNodeStartS, 6);
  assert.equal(t.lastHealthyVerdictS, 7);
});

test('the table: ratios to the floor from the medians, the dropped node marked, the machine and the commands', () => {
  const result: BenchResult = {
    date: '2026-01-01T00:00:00.000Z',
    machine: { cores: 2, cpuModel: 'Test CPU', memoryBytes: 4 * 1024 ** 3, kernel: 'Linux 6.1', node: 'v20.0.0' },
    loadAverage: { start: [0.5, 0.4, 0.3], end: [1, 0.5, 0.3] },
    options: { nodes: 50, reps: 3, concurrency: 16, out: 'bench-results', keepLab: false },
    nodes: { healthy: 50, dropped: ['fleet-dropped-1'], total: 51 },
    lab: { built: true, upS: 3.21, downS: 0.5 },
    commands: { floor: "ip netns exec twl-ctl xargs -P 16 sh -c 'ssh -F \"$1\" \"$2\" true'" },
    runs,
  };
  const md = renderMarkdown(result);
  assert.match(md, /^## twoway bench: 50 healthy nodes \+ 1 with dropped callbacks, concurrency 16, 3 run\(s\) of each mode/);
  assert.match(md, /2 cores \(Test CPU\), 4\.0 GiB, Linux 6\.1, Node v20\.0\.0; load average 0\.50 0\.40 0\.30 at the start/);
  assert.match(md, /Lab: built in 3\.2 s, down in 0\.5 s\./);
  assert.match(md, /^\| floor: `ssh node true` \| 2\.2 \| 2\.0, 2\.4, 2\.2 \| 1\.00x \|/m);
  assert.match(md, /^\| `twoway run` \(defaults\) \| 8\.0 \| 9\.0, 7\.0, 8\.0 \| 3\.64x \|/m);
  assert.match(md, /fleet-dropped-1 \(its callbacks are dropped\) \|$/m);
  assert.match(md, /Ratios of the medians: twoway \/ floor 3\.64x, baseline \/ floor 1\.27x\./);
  assert.match(md, /\| node with dropped callbacks: verdict after launch \| 7\.0 s \(6\.0 s after that node started\) \|/);
  assert.match(md, /\| controller peak RSS \(VmHWM\) \| 100\.0 MiB \|/);
  assert.match(md, /^- floor: `ip netns exec twl-ctl xargs -P 16 sh -c 'ssh -F "\$1" "\$2" true'`$/m);
});
