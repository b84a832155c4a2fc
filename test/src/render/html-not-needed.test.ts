/** Callbacks the update manager does not need (src/managers.ts) are information in the HTML report, the live view and the renderers that class nodes: never red. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHtml } from '../../../src/render/html.js';
import { cellClass, failingPaths, nodeClass } from '../../../src/render/labels.js';
import { liveRow } from '../../../src/render/live-state.js';
import { nagiosState } from '../../../src/render/nagios.js';
import type { NodeReport, PathReport } from '../../../src/report.js';
import { callback, forward, node, report } from '../../helpers/report-builder.js';

const WHY = 'HPE SUM 7.3+ needs no http callback from linux nodes';
const unneededBlocked: PathReport = { ...callback('10.1.0.2', 63001, 'blocked'), notNeeded: WHY };
// As diagnosis makes it: a callback the manager does not need never makes the node's verdict.
const sum7Node: NodeReport = { ...node('web1', ['10.1.0.2'], [unneededBlocked, callback('10.1.0.2', 63002, 'ok'), forward('10.1.0.2', 22, 'ok')]), verdict: 'ok' };
const faultyNode = node('web2', ['10.1.0.3'], [callback('10.1.0.3', 63001, 'blocked'), callback('10.1.0.3', 63002, 'ok'), forward('10.1.0.3', 22, 'ok')]);
const fleet = report('20250101T010000-aaaaaa', [sum7Node, faultyNode]);

test('html not needed: a blocked callback the manager does not need is an information cell, a needed one stays a fault cell', () => {
  const html = renderHtml(fleet);
  const cells = [...html.matchAll(/<td class="cell ([^"]+)" data-verdict="blocked"/g)].map((m) => m[1]);
  assert.deepEqual(cells, ['v-blocked c-info not-needed', 'v-blocked c-fault']);
  const style = html.indexOf('.not-needed{background:');
  assert.ok(style > html.indexOf('.v-blocked{background:'), 'the information colour comes after the verdict colours, so it wins');
  assert.match(html, /Information only: HPE SUM 7\.3\+ needs no http callback from linux nodes/);
  assert.match(html, /class="v-blocked c-info not-needed" title="Blocked[^"]*; information only: HPE SUM 7\.3\+/);
});

test('html not needed: the node is not among the nodes to fix; the faulty one is', () => {
  const html = renderHtml(fleet);
  const toFix = html.slice(html.indexOf('<section id="failing">'));
  assert.doesNotMatch(toFix, /<h3>web1 /);
  assert.match(toFix, /<h3>web2 /);
});

test('html not needed: node and cell classes and the failing paths count it as information', () => {
  assert.equal(nodeClass(sum7Node), 'info');
  assert.deepEqual(failingPaths(sum7Node), []);
  assert.equal(cellClass([unneededBlocked]), 'info');
  assert.equal(cellClass([callback('10.1.0.3', 63001, 'blocked')]), 'fault');
  assert.equal(nodeClass(faultyNode), 'fault');
  assert.equal(nagiosState(report('20250101T010000-bbbbbb', [sum7Node])), 'OK', 'nagios: no CRITICAL for a node the manager does not need the callback from');
});

test('live view: the cell of a callback the manager does not need carries the information class, a needed one the fault class', () => {
  const cb = 'cb http:63001';
  assert.deepEqual([liveRow(sum7Node).cells[cb], liveRow(sum7Node).cellClasses[cb]], ['blocked', 'info']);
  assert.deepEqual([liveRow(faultyNode).cells[cb], liveRow(faultyNode).cellClasses[cb]], ['blocked', 'fault']);
});
