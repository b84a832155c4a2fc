/**
 * The listener's strays in every format: grouped by source and reason, a warning that never makes
 * a node fail or changes the exit code, with the source's text made plain.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getExitCode, type Report, type StraySummary } from '../../../src/report.js';
import { renderHtml } from '../../../src/render/html.js';
import { renderJunit } from '../../../src/render/junit.js';
import { renderProm } from '../../../src/render/prom.js';
import { renderTerminal } from '../../../src/render/terminal.js';
import { findAll, parseXml } from '../../helpers/xml-strict.js';
import { callback, node, report } from '../../helpers/report-builder.js';

const STRANGER: StraySummary = { source: '192.0.2.7', reason: 'unknown token', count: 40, ports: [63001], paths: ['/tw/hello'] };
const REPLAY: StraySummary = { source: '10.0.0.3', reason: "token used from another node's address", count: 2, ports: [63001], paths: ['/tw/blob'], node: 'n1' };

function withStrays(strays: StraySummary[]): Report {
  const base = report('20250101T000000-aaaaaa', [node('n1', ['10.0.0.2'], [callback('10.0.0.2', 63001, 'ok')]), node('n2', ['10.0.0.3'], [callback('10.0.0.3', 63001, 'ok')])]);
  const nodes = base.nodes.map((n) => (n.name === 'n1' ? { ...n, tokenStrays: strays.filter((s) => s.node === 'n1') } : n));
  const summary = { ...base.summary, faults: 0, warnings: 0, information: 0 };
  return { ...base, nodes, summary, run: { ...base.run, strayRequests: strays.reduce((a, s) => a + s.count, 0), ...(strays.length === 0 ? {} : { strays }) } };
}

test('strays: the terminal lists them by source and reason as a warning; the node whose token was replayed says so; no node fails', () => {
  const r = withStrays([STRANGER, REPLAY]);
  const text = renderTerminal(r, { color: false });
  assert.match(text, /^Strays: someone else is talking to the update manager's ports$/m);
  assert.match(text, /^ {2}192\.0\.2\.7: 40 x unknown token \(port 63001; \/tw\/hello\)$/m);
  assert.match(text, /^ {2}10\.0\.0\.3: 2 x token used from another node's address \(n1's token; port 63001; \/tw\/blob\)$/m);
  assert.match(text, /^! n1 {2}its token came from 10\.0\.0\.3, not its own address/m);
  assert.match(text, /\(0 fault\(s\), 2 warning\(s\), 0 information\)/);
  assert.equal(getExitCode(r), 0);
  assert.ok(r.nodes.every((n) => n.verdict === 'ok'));
});

test('strays: none, nothing said (the terminal still finds no problems)', () => {
  const text = renderTerminal(withStrays([]), { color: false });
  assert.doesNotMatch(text, /Strays/);
  assert.match(text, /No problems found/);
});

test('strays: JUnit has a listener suite whose case passes with the warning in system-out; HTML and Prometheus list each group', () => {
  const r = withStrays([STRANGER, REPLAY]);
  const root = parseXml(renderJunit(r));
  const listener = root.children.find((c) => c.name === 'testsuite' && c.attrs.name === 'listener');
  assert.ok(listener);
  assert.equal(findAll(listener, 'failure').length + findAll(listener, 'error').length, 0);
  assert.match(JSON.stringify(findAll(listener, 'system-out')), /192\.0\.2\.7: 40 x unknown token/);
  const html = renderHtml(r);
  assert.match(html, /<section id="strays">.*192\.0\.2\.7: 40 x unknown token/);
  const prom = renderProm(r);
  assert.match(prom, /^twoway_run_strays\{source="192\.0\.2\.7",reason="unknown token"\} 40$/m);
  assert.match(prom, /^twoway_run_strays\{source="10\.0\.0\.3",reason="token used from another node's address",node="n1"\} 2$/m);
});

test('strays: a path or source with escape sequences reaches the terminal plain', () => {
  const hostile: StraySummary = { ...STRANGER, paths: ['/\x1b]0;owned\x07x'], source: '192.0.2.8\x1b[2J' };
  const text = renderTerminal(withStrays([hostile]), { color: false });
  assert.doesNotMatch(text, /\x1b/);
});
