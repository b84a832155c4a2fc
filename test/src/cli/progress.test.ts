/** Progress on stderr: the mode, the live line's text from counts and times, and what each mode writes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressReporter, etaMs, formatDuration, isCi, liveLine, progressMode } from '../../../src/cli/progress.js';
import type { NodeReport } from '../../../src/report.js';
import { fleetReport } from '../../fixtures/report/load.js';

const CLEAR = '\r\x1b[2K';

test('progress: live only on a TTY outside CI; plain otherwise; nothing with --quiet', () => {
  assert.equal(progressMode({ quiet: false, isTTY: true, ci: undefined }), 'live');
  assert.equal(progressMode({ quiet: false, isTTY: true, ci: 'true' }), 'plain');
  assert.equal(progressMode({ quiet: false, isTTY: true, ci: 'false' }), 'live');
  assert.equal(progressMode({ quiet: false, isTTY: false, ci: undefined }), 'plain');
  assert.equal(progressMode({ quiet: true, isTTY: true, ci: undefined }), 'off');
  assert.deepEqual(['1', 'true', 'github', '', '0', 'FALSE'].map(isCi), [true, true, true, false, false, false]);
});

test('progress: durations and the ETA at the pace so far', () => {
  assert.deepEqual([0, 7_400, 754_000, 3_723_000].map(formatDuration), ['0:00', '0:07', '12:34', '1:02:03']);
  assert.equal(etaMs(0, 10, 5000), undefined);
  assert.equal(etaMs(4, 10, 8000), 12_000);
  assert.equal(etaMs(10, 10, 8000), 0);
  assert.equal(liveLine({ done: 4, total: 10, failed: 1, elapsedMs: 8000 }, 200), 'twoway: 4/10 nodes, 1 failed, 0:08 elapsed, ETA 0:12');
  assert.equal(liveLine({ done: 0, total: 10, failed: 0, elapsedMs: 1000 }, 200), 'twoway: 0/10 nodes, 0 failed, 0:01 elapsed, ETA --');
  assert.equal(liveLine({ done: 4, total: 10, failed: 1, elapsedMs: 8000 }, 20), 'twoway: 4/10 nodes,');
});

function recorder(mode: 'live' | 'plain' | 'off', clock: { t: number }) {
  const out: string[] = [];
  const reporter = new ProgressReporter(mode, { write: (text) => out.push(text), columns: 120 }, () => clock.t, 0);
  return { out, reporter };
}

const nodes = fleetReport().nodes;
const healthy = nodes.find((n) => n.name === 'healthy') as NodeReport;
const refused = nodes.find((n) => n.name === 'sshd-stopped') as NodeReport;

test('progress live: one line redrawn in place; a failure printed above it; cleared at the end', (t) => {
  const clock = { t: 0 };
  const { out, reporter } = recorder('live', clock);
  t.after(() => reporter.stop());
  reporter.message('twoway: testing 2 node(s)');
  reporter.started(2);
  clock.t = 3000;
  reporter.nodeFinished(healthy, 1, 2);
  clock.t = 5000;
  reporter.nodeFinished(refused, 2, 2);
  reporter.stop();
  reporter.message('after the end');
  assert.deepEqual(out, [
    'twoway: testing 2 node(s)\n',
    `${CLEAR}twoway: 0/2 nodes, 0 failed, 0:00 elapsed, ETA --`,
    `${CLEAR}twoway: 1/2 nodes, 0 failed, 0:03 elapsed, ETA 0:03`,
    `${CLEAR}x sshd-stopped: ssh-refused (SSH refused)\n`,
    `${CLEAR}twoway: 2/2 nodes, 1 failed, 0:05 elapsed, ETA 0:00`,
    CLEAR,
    'after the end\n',
  ]);
});

test('progress plain: one line per finished node, no control characters', () => {
  const { out, reporter } = recorder('plain', { t: 0 });
  reporter.started(2);
  reporter.nodeFinished(healthy, 1, 2);
  reporter.nodeFinished(refused, 2, 2);
  reporter.stop();
  assert.deepEqual(out, ['[1/2] healthy: ok (OK, 2.4 s)\n', '[2/2] sshd-stopped: ssh-refused (SSH refused, 0.0 s)\n']);
});

test('progress off (--quiet): nothing at all', () => {
  const { out, reporter } = recorder('off', { t: 0 });
  reporter.message('twoway: testing 2 node(s)');
  reporter.started(2);
  reporter.nodeFinished(refused, 1, 2);
  reporter.stop();
  assert.deepEqual(out, []);
});
