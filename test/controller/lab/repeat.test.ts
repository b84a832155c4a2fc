/** The demo's repeat check: a later run's node and path verdicts against the first run's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVerdicts, renderComparison } from '../../../controller/lab/repeat.js';
import { callback, forward, node, report, simpleNode } from '../../helpers/report-builder.js';

const first = report('20250101T000000Z', [
  simpleNode('healthy', '10.231.1.2'),
  simpleNode('esxi', '10.231.2.2', 'blocked'),
  node('down', ['10.231.9.2'], [callback('down', 63001, 'not-measured'), forward('10.231.9.2', 22, 'rejected')], 'ssh-refused'),
]);

test('same verdicts: nothing differs, and still-failing paths are not differences', () => {
  const again = report('20250101T000100Z', structuredClone(first.nodes));
  const c = compareVerdicts(first, again);
  assert.deepEqual(c.differences, []);
  assert.equal(c.nodes, 3);
  // healthy and esxi: 2 callbacks + forward 22 each; down: one callback, one forward.
  assert.equal(c.paths, 8);
  assert.equal(renderComparison(2, 2, c), 'run 2 of 2: same verdicts as run 1 (3 nodes, 8 paths)\n');
});

test('different verdicts: each node or path that changed, missing ones included, is listed', () => {
  const nodes = structuredClone(first.nodes);
  nodes[0]!.paths[1]!.verdict = 'slow';
  nodes[1]!.paths[0]!.verdict = 'rejected';
  const later = report('20250101T000200Z', [nodes[0]!, nodes[1]!]);
  const c = compareVerdicts(first, later);
  assert.deepEqual(
    c.differences.map((e) => `${e.node} ${e.key} ${e.old ?? '-'} ${e.new ?? '-'}`),
    [
      'healthy callback https:63002 -> 10.0.0.1 ok slow',
      'esxi callback http:63001 -> 10.0.0.1 blocked rejected',
      'down node ssh-refused -',
      'down callback http:63001 -> 10.0.0.1 not-measured -',
      'down forward tcp:22 -> 10.231.9.2 rejected -',
    ],
  );
  const text = renderComparison(3, 3, c);
  assert.match(text, /^run 3 of 3: 5 verdict\(s\) differ from run 1 \(of 3 nodes, 8 paths\):\n/);
  assert.match(text, /\n {2}healthy {2}callback https:63002 -> 10\.0\.0\.1 {2}run 1: ok, run 3: slow\n/);
  assert.match(text, /\n {2}down {5}node \(SSH\/agent\) +run 1: ssh-refused, run 3: absent\n/);
});
