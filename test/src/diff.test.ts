/** Comparing two runs: which changes are new breakage, keyed so that the same path matches across runs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffReports, exitCodeFor, judgeChange, newBreakage, pathKey, type Change, type DiffEntry } from '../../src/diff.js';
import { renderDiff } from '../../src/render/diff.js';
import type { VerdictKind } from '../../src/verdicts.js';
import { CTL, callback, forward, node, report, simpleNode } from '../helpers/report-builder.js';

const OLD = '20250101T010000-aaaaaa';
const NEW = '20250102T010000-bbbbbb';

function only(entries: DiffEntry[], nodeName: string): { key: string; change: Change; breakage: boolean; old?: VerdictKind; new?: VerdictKind }[] {
  return entries.filter((e) => e.node === nodeName).map(({ key, change, breakage, old, new: now }) => ({ key, change, breakage, ...(old === undefined ? {} : { old }), ...(now === undefined ? {} : { new: now }) }));
}

const TABLE: [VerdictKind | undefined, VerdictKind | undefined, Change, boolean][] = [
  [undefined, 'ok', 'added', false],
  [undefined, 'blocked', 'new-failure', true],
  [undefined, 'not-measured', 'added', false],
  ['ok', 'ok', 'same', false],
  ['ok', 'rejected', 'new-failure', true],
  ['ok', 'slow', 'new-failure', true],
  ['ok', 'not-measured', 'unmeasured', true],
  ['ok', undefined, 'removed', false],
  ['blocked', 'ok', 'fixed', false],
  ['blocked', 'blocked', 'still-failing', false],
  ['blocked', 'rejected', 'changed', false],
  ['slow', 'blocked', 'changed', true],
  ['blocked', 'slow', 'changed', false],
  ['blocked', 'not-measured', 'unmeasured', false],
  ['blocked', undefined, 'removed', false],
  ['not-measured', 'ok', 'measured', false],
  ['not-measured', 'not-measured', 'same', false],
  ['not-measured', 'tls-failed', 'new-failure', true],
  ['ssh-refused', 'ssh-unreachable', 'changed', false],
];

for (const [old, now, change, breakage] of TABLE) {
  test(`diff: ${old ?? 'absent'} -> ${now ?? 'absent'} is ${change}${breakage ? ', new breakage' : ''}`, () => {
    assert.deepEqual(judgeChange(old, now), { change, breakage });
  });
}

test('diff: path keys name direction, port and far end; the source only for a node with several addresses', () => {
  const single = { addresses: ['10.1.0.2'] };
  const dual = { addresses: ['10.1.0.2', '10.2.0.2'] };
  assert.equal(pathKey(single, callback('10.1.0.2', 63001, 'ok')), `callback http:63001 -> ${CTL}`);
  assert.equal(pathKey(dual, callback('10.2.0.2', 63002, 'ok')), `callback https:63002 10.2.0.2 -> ${CTL}`);
  assert.equal(pathKey(dual, forward('10.2.0.2', 22, 'ok')), 'forward tcp:22 -> 10.2.0.2');
});

test('diff: a new failure on a healthy node is new breakage; a node failing the same way in both runs is not', () => {
  const before = report(OLD, [simpleNode('web1', '10.1.0.2'), simpleNode('reject', '10.3.0.2', 'rejected')]);
  const web1 = simpleNode('web1', '10.1.0.2');
  web1.paths[0]!.verdict = 'blocked';
  const after = report(NEW, [web1, simpleNode('reject', '10.3.0.2', 'rejected')]);
  const diff = diffReports(before, after);

  assert.deepEqual(only(diff.entries, 'web1'), [{ key: `callback http:63001 -> ${CTL}`, change: 'new-failure', breakage: true, old: 'ok', new: 'blocked' }]);
  assert.deepEqual(diff.entries[0]!.path, { direction: 'callback', proto: 'http', port: 63001, to: CTL });
  assert.deepEqual(only(diff.entries, 'reject').map((e) => e.change), ['still-failing', 'still-failing']);
  assert.deepEqual(newBreakage(diff).map((e) => e.node), ['web1']);
  assert.equal(diff.counts['still-failing'], 2);
  assert.equal(exitCodeFor(after, 'new', diff), 1);

  const text = renderDiff(diff, 'Compared with baseline x');
  assert.match(text, /^Compared with baseline x: 1 new, 0 fixed, 0 changed kind, 2 still failing$/m);
  const breakage = text.split(/^New breakage:\n/m)[1]!.split(/^\S/m)[0]!;
  assert.match(breakage, /web1\s+callback http:63001 -> 10\.0\.0\.1\s+ok -> blocked/);
  assert.doesNotMatch(breakage, /reject/);
  assert.match(text, /^Still failing: 2 \(reject\)$/m);
});

test('diff: the same failures in both runs give exit 0 with fail-on new, 1 with fail-on any', () => {
  const a = report(OLD, [simpleNode('reject', '10.3.0.2', 'rejected')]);
  const b = report(NEW, [simpleNode('reject', '10.3.0.2', 'rejected')]);
  const diff = diffReports(a, b);
  assert.deepEqual(newBreakage(diff), []);
  assert.equal(exitCodeFor(b, 'new', diff), 0);
  assert.equal(exitCodeFor(b, 'any', diff), 1);
  assert.equal(exitCodeFor(b, 'new', undefined), 1, 'no baseline: any failure fails');
});

test('diff: fixed and changed kind', () => {
  const before = report(OLD, [simpleNode('a', '10.1.0.2', 'blocked'), simpleNode('b', '10.1.0.3', 'blocked'), simpleNode('c', '10.1.0.4', 'slow')]);
  const after = report(NEW, [simpleNode('a', '10.1.0.2'), simpleNode('b', '10.1.0.3', 'rejected'), simpleNode('c', '10.1.0.4', 'blocked')]);
  const diff = diffReports(before, after);
  assert.deepEqual(only(diff.entries, 'a').map((e) => e.change), ['fixed', 'fixed']);
  assert.deepEqual(only(diff.entries, 'b').map((e) => [e.change, e.breakage]), [['changed', false], ['changed', false]]);
  assert.deepEqual(only(diff.entries, 'c').map((e) => [e.change, e.breakage]), [['changed', true], ['changed', true]]);
  const text = renderDiff(diff, 'd');
  assert.match(text, /^d: 2 new, 2 fixed, 4 changed kind, 0 still failing$/m);
  assert.match(text, /^Changed kind \(not worse\):\n {2}b\s+callback http:63001 -> 10\.0\.0\.1\s+blocked -> rejected$/m);
  assert.match(text, /^Fixed:\n {2}a\s+callback http:63001 -> 10\.0\.0\.1\s+blocked -> ok$/m);
});

test('diff: a dual-homed node is compared per source address', () => {
  const mgmt = '10.5.0.2';
  const os = '10.6.0.2';
  const dual = (fromMgmt: 'ok' | 'blocked', fromOs: 'ok' | 'blocked') =>
    node('dual', [mgmt, os], [callback(mgmt, 63001, fromMgmt), callback(os, 63001, fromOs), forward(mgmt, 22, 'ok'), forward(os, 22, 'ok')]);
  const diff = diffReports(report(OLD, [dual('blocked', 'ok')]), report(NEW, [dual('ok', 'blocked')]));
  assert.deepEqual(only(diff.entries, 'dual'), [
    { key: `callback http:63001 ${mgmt} -> ${CTL}`, change: 'fixed', breakage: false, old: 'blocked', new: 'ok' },
    { key: `callback http:63001 ${os} -> ${CTL}`, change: 'new-failure', breakage: true, old: 'ok', new: 'blocked' },
  ]);
});

test('diff: a node-level SSH failure is its own entry; its paths fold under it, and it clears as fixed', () => {
  const up = report(OLD, [simpleNode('web1', '10.1.0.2')]);
  // When SSH fails the callbacks are not measured and their source is the node's name: same keys.
  const down = report(NEW, [node('web1', ['10.1.0.2'], [callback('web1', 63001, 'not-measured'), callback('web1', 63002, 'not-measured'), forward('10.1.0.2', 22, 'blocked')], 'ssh-unreachable')]);

  const broke = diffReports(up, down);
  assert.deepEqual(only(broke.entries, 'web1').map((e) => [e.key, e.change, e.breakage]), [
    ['node', 'new-failure', true],
    [`callback http:63001 -> ${CTL}`, 'unmeasured', true],
    [`callback https:63002 -> ${CTL}`, 'unmeasured', true],
    ['forward tcp:22 -> 10.1.0.2', 'new-failure', true],
  ]);
  const text = renderDiff(broke, 'b');
  assert.match(text, /^b: 2 new,/m, 'the node and its forward path; the unmeasured callbacks fold under the node');
  assert.match(text, /^ {2}web1\s+node \(SSH\/agent\)\s+ok -> ssh-unreachable\n {4}and 2 path\(s\) that were ok are no longer measured$/m);

  const back = diffReports({ ...down, run: { ...down.run, id: OLD } }, { ...up, run: { ...up.run, id: NEW } });
  assert.deepEqual(only(back.entries, 'web1').map((e) => e.change), ['fixed', 'measured', 'measured', 'fixed']);
  assert.deepEqual(newBreakage(back), []);
});

test('diff: a failing path that is no longer measured is neither fixed nor new breakage', () => {
  const before = report(OLD, [simpleNode('a', '10.1.0.2', 'blocked')]);
  const after = report(NEW, [simpleNode('a', '10.1.0.2', 'not-measured')]);
  const diff = diffReports(before, after);
  assert.deepEqual(only(diff.entries, 'a').map((e) => [e.change, e.breakage]), [['unmeasured', false], ['unmeasured', false]]);
  assert.equal(diff.counts.fixed, 0);
  assert.match(renderDiff(diff, 'x'), /^No longer measured \(were failing\): 2 \(a\)$/m);
});

test('diff: new nodes that fail are new breakage; nodes no longer tested are not', () => {
  const before = report(OLD, [simpleNode('gone', '10.1.0.9', 'blocked'), simpleNode('kept', '10.1.0.2')]);
  const after = report(NEW, [simpleNode('kept', '10.1.0.2'), simpleNode('fresh', '10.1.0.7', 'rejected'), simpleNode('fine', '10.1.0.8')]);
  const diff = diffReports(before, after);
  assert.deepEqual(diff.addedNodes, ['fresh', 'fine']);
  assert.deepEqual(diff.removedNodes, ['gone']);
  assert.deepEqual([...new Set(newBreakage(diff).map((e) => e.node))], ['fresh']);
  assert.deepEqual([...new Set(only(diff.entries, 'gone').map((e) => e.change))], ['removed']);
  assert.deepEqual([...new Set(only(diff.entries, 'fine').map((e) => e.change))], ['added']);
  assert.equal(only(diff.entries, 'kept').length, 0, 'unchanged paths are counted, not listed');
  assert.equal(diff.counts.same, 4);
});
