/** The soak's tally: a non-ok node or a warning/fault path is a false alarm; information is not; missing nodes and failed runs count. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeTally, emptyTally, soakClean, tallyRun } from '../../../controller/bench/soak-tally.js';
import type { NodeReport, PathReport, Report } from '../../../src/report.js';
import type { PathKind, VerdictKind } from '../../../src/verdicts.js';

function path(verdict: PathKind, port: number): PathReport {
  return { direction: 'forward', from: 'ctl', to: 'node', port, proto: 'tcp', verdict, summary: `${verdict} on ${port}`, evidence: { kind: 'not-run', reason: 'test' } } as unknown as PathReport;
}

function node(name: string, verdict: VerdictKind, paths: PathReport[]): NodeReport {
  return { name, addresses: ['10.0.0.1'], profile: 'linux', verdict, callbackAddresses: [], paths, ms: 1 };
}

function report(nodes: NodeReport[], interrupted = false): Report {
  return { run: { interrupted }, nodes, findings: [] } as unknown as Report;
}

test('a healthy run with a closed path-only port is clean: information is not an alarm', () => {
  const t = tallyRun(emptyTally(), 1, ['a', 'b'], 0, report([node('a', 'ok', [path('ok', 22), path('closed', 443)]), node('b', 'ok', [path('ok', 22)])]));
  assert.equal(soakClean(t), true);
  assert.deepEqual(t.pathClasses, { ok: 2, info: 1, warning: 0, fault: 0 });
  assert.equal(t.nodeVerdicts, 2);
  assert.match(describeTally(t, 2)[0]!, /1 run\(s\) of 2 healthy node\(s\): 2 node verdicts, 0 false alarm\(s\); paths 2 ok, 1 info, 0 warning, 0 fault/);
});

test('a warning path, a faulty node, a missing node and a failed run each spoil the soak', () => {
  const cases: [string, ReturnType<typeof tallyRun>][] = [
    ['warning path', tallyRun(emptyTally(), 1, ['a'], 0, report([node('a', 'ok', [path('slow', 63001)])]))],
    ['faulty node', tallyRun(emptyTally(), 1, ['a'], 1, report([node('a', 'blocked', [path('blocked', 63001)])]))],
    ['missing node', tallyRun(emptyTally(), 1, ['a', 'b'], 0, report([node('a', 'ok', [])]))],
    ['no report', tallyRun(emptyTally(), 1, ['a'], 3, undefined)],
    ['interrupted', tallyRun(emptyTally(), 1, ['a'], 0, report([node('a', 'ok', [])], true))],
  ];
  for (const [name, t] of cases) assert.equal(soakClean(t), false, name);
  const [, warning] = cases[0]!;
  assert.deepEqual(warning.alarms, [{ run: 1, node: 'a', verdict: 'slow', where: 'forward 63001', summary: 'slow on 63001' }]);
  const [, faulty] = cases[1]!;
  assert.deepEqual(faulty.alarms.map((a) => `${a.where}:${a.verdict}`), ['node:blocked', 'forward 63001:blocked']);
  assert.deepEqual(faulty.failedRuns, [{ run: 1, exitCode: 1, interrupted: false }]);
  assert.deepEqual(cases[2]![1].missing, [{ run: 1, node: 'b' }]);
  assert.deepEqual(cases[3]![1].missing, [{ run: 1, node: 'a' }]);
});

test('runs accumulate: run numbers are kept and earlier alarms stay', () => {
  let t = emptyTally();
  t = tallyRun(t, 1, ['a'], 0, report([node('a', 'ok', [path('ok', 22)])]));
  t = tallyRun(t, 2, ['a'], 0, report([node('a', 'ok', [path('slow', 63002)])]));
  t = tallyRun(t, 3, ['a'], 0, report([node('a', 'ok', [path('ok', 22)])]));
  assert.equal(t.runs, 3);
  assert.equal(t.nodeVerdicts, 3);
  assert.deepEqual(t.alarms.map((a) => a.run), [2]);
  assert.match(describeTally(t, 1).join('\n'), /^soak: run 2: a forward 63002: slow: slow on 63002$/m);
});

test('the soak with no run at all is not clean', () => {
  assert.equal(soakClean(emptyTally()), false);
});
