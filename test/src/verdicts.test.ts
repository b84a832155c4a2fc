/** The verdict classes: consistent with severity, counted apart in the summary, and only faults fail the run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classCounts, getExitCode } from '../../src/report.js';
import { renderSummaryLine } from '../../src/render/terminal.js';
import { VERDICTS, VERDICT_KINDS, worse, type VerdictKind } from '../../src/verdicts.js';
import { callback, forward, node, report } from '../helpers/report-builder.js';

test('verdicts: a class follows severity, so the worst severity is the worst fault, else the worst warning', () => {
  const expected = { ok: [0], info: [0], warning: [1], fault: [2, 3] } as const;
  for (const kind of VERDICT_KINDS) assert.ok((expected[VERDICTS[kind].class] as readonly number[]).includes(VERDICTS[kind].severity), kind);
  assert.deepEqual([VERDICTS.closed.class, VERDICTS['service-down'].class, VERDICTS['not-measured'].class, VERDICTS.ok.class], ['info', 'fault', 'warning', 'ok']);
  const worst = (kinds: VerdictKind[]): VerdictKind => kinds.reduce(worse, 'ok');
  assert.equal(worst(['closed', 'closed']), 'ok');
  assert.equal(worst(['closed', 'not-measured']), 'not-measured');
  assert.equal(worst(['not-measured', 'service-down', 'closed']), 'service-down');
});

test('summary: faults, warnings and information are counted apart; the repeats of a node-level fault are not', () => {
  const nodes = [
    node('a', ['10.0.0.1'], [callback('10.0.0.1', 63001, 'ok'), forward('10.0.0.1', 443, 'closed')], undefined),
    node('b', ['10.0.0.2'], [callback('10.0.0.2', 63001, 'slow'), forward('10.0.0.2', 443, 'service-down'), forward('10.0.0.2', 22, 'closed')]),
    node('c', ['10.0.0.3'], [callback('10.0.0.3', 63001, 'not-measured'), forward('10.0.0.3', 22, 'blocked')], 'ssh-unreachable'),
  ];
  assert.deepEqual(classCounts(nodes), { faults: 3, warnings: 1, information: 2 });
  const r = { ...report('20250101T000000-x', nodes), summary: { ...report('20250101T000000-x', nodes).summary, ...classCounts(nodes) } };
  assert.match(renderSummaryLine(r), /^3 node\(s\), \d+ with problems \(3 fault\(s\), 1 warning\(s\), 2 information\), /);
});

test('exit code: 1 only with a fault; information and warnings alone exit 0', () => {
  const only = (kinds: VerdictKind[]): 0 | 1 => getExitCode(report('20250101T000000-x', [node('a', ['10.0.0.1'], kinds.map((k, i) => forward('10.0.0.1', 1000 + i, k as never)))]));
  assert.equal(only(['ok', 'closed']), 0);
  assert.equal(only(['closed', 'not-measured', 'slow']), 0);
  assert.equal(only(['closed', 'service-down']), 1);
  assert.equal(only(['rejected']), 1);
});
