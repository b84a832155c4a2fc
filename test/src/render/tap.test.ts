/** TAP 14: the stream parses strictly, a point per node with a subtest per path, and it passes exactly when the run has no fault. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTap } from '../../../src/render/tap.js';
import { getExitCode } from '../../../src/report.js';
import { parseTap } from '../../helpers/tap-parse.js';
import { report, simpleNode } from '../../helpers/report-builder.js';
import { fleetReport } from '../../fixtures/report/load.js';

test('tap: the strict reader refuses a wrong plan, a point out of order, and unindented YAML', () => {
  assert.equal(parseTap('TAP version 14\n1..1\nok 1 - a\n').length, 1);
  for (const bad of ['TAP version 13\n1..1\nok 1 - a\n', 'TAP version 14\n1..2\nok 1 - a\n', 'TAP version 14\n1..2\nok 2 - a\nok 1 - b\n', 'TAP version 14\n1..1\nnot ok 1 - a\n---\nx: 1\n...\n', 'TAP version 14\n1..1\n    1..1\n    ok 1 - x\nok 1 - a\n']) {
    assert.throws(() => parseTap(bad), Error, bad);
  }
});

test('tap: a point per node, its paths as a subtest, YAML diagnostics on failures; fails exactly when there is a fault', () => {
  const fleet = fleetReport();
  const points = parseTap(renderTap(fleet));
  assert.deepEqual(points.map((p) => p.description.split(':')[0]), fleet.nodes.map((n) => n.name));
  for (const [i, n] of fleet.nodes.entries()) {
    const point = points[i]!;
    const children = point.children ?? [];
    assert.equal(children.length, n.paths.length + (n.nodeVerdict === undefined ? 0 : 1), `${n.name}: a child point per path (and the session)`);
    assert.equal(point.ok, children.every((c) => c.ok), `${n.name}: the node fails exactly when a child does`);
  }
  const web1 = points[1]!.children![0]!;
  assert.equal(web1.ok, false);
  assert.equal(web1.diagnostics?.verdict, 'blocked');
  assert.equal((web1.diagnostics?.evidence as { ledgerSawRequest?: boolean }).ledgerSawRequest, false, 'the evidence, as YAML');
  const sshdStopped = points[7]!;
  assert.match(sshdStopped.children![0]!.description, /^session: ssh-refused$/);
  assert.equal(sshdStopped.children![1]!.directive, 'SKIP not measured: the node\'s session failed (ssh-refused)');
  const mtuSlow = points[4]!.children![1]!;
  assert.equal(mtuSlow.ok, true, 'a warning does not fail the stream');
  assert.equal(mtuSlow.diagnostics?.severity, 'warning');

  for (const r of [fleet, report('20250101T030000-abc123', [simpleNode('a', '10.0.1.2'), simpleNode('b', '10.0.1.3', 'slow')])]) {
    assert.equal(parseTap(renderTap(r)).every((p) => p.ok), getExitCode(r) === 0);
  }
});

test('tap: "#" and "\\" in a description are escaped', () => {
  const r = report('20250101T030000-abc123', [simpleNode('web#1\\a', '10.0.1.2')]);
  const text = renderTap(r);
  assert.match(text, /^ok 1 - web\\#1\\\\a: ok$/m);
  assert.equal(parseTap(text)[0]!.description, 'web\\#1\\\\a: ok');
});
