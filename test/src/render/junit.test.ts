/** JUnit XML: well formed (strict parser), a suite per node, a case per path plus the session, and the failure/error/skipped mapping. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getExitCode, type Report } from '../../../src/report.js';
import { renderJunit } from '../../../src/render/junit.js';
import { findAll, parseXml, type XmlElement } from '../../helpers/xml-strict.js';
import { fleetReport } from '../../fixtures/report/load.js';

function suiteOf(root: XmlElement, name: string): XmlElement {
  const s = root.children.find((c) => c.name === 'testsuite' && c.attrs.name === name);
  assert.ok(s, `testsuite ${name}`);
  return s;
}

function outcomes(suite: XmlElement): Record<string, string> {
  return Object.fromEntries(suite.children.filter((c) => c.name === 'testcase').map((c) => [c.attrs.name!, c.children[0]?.name ?? 'pass']));
}

test('junit: the strict parser rejects what is not well formed', () => {
  for (const bad of ['<a><b></a>', '<a x="1" x="2"/>', '<a>1 < 2</a>', '<a>fish & chips</a>', '<a>\u001b</a>', '<a/><b/>', '<a>']) {
    assert.throws(() => parseXml(bad), /XML:/, bad);
  }
  assert.equal(parseXml('<a t="&lt;&quot;&#10;">x &amp; y</a>').attrs.t, '<"\n');
});

test('junit: a testsuite per node, a testcase per path and one for the session; counts add up', () => {
  const report = fleetReport();
  const root = parseXml(renderJunit(report));
  assert.equal(root.name, 'testsuites');
  // The listener's strays have a suite of their own, after the nodes' (its own test below).
  const suites = root.children.filter((c) => c.name === 'testsuite' && c.attrs.name !== 'listener');
  assert.deepEqual(
    suites.map((s) => s.attrs.name),
    report.nodes.map((n) => n.name),
  );
  for (const [i, s] of suites.entries()) {
    const cases = s.children.filter((c) => c.name === 'testcase');
    assert.equal(cases.length, report.nodes[i]!.paths.length + 1, `${s.attrs.name}: paths + session`);
    assert.equal(Number(s.attrs.tests), cases.length);
    for (const tag of ['failure', 'error', 'skipped']) {
      const attr = tag === 'failure' ? 'failures' : tag === 'error' ? 'errors' : 'skipped';
      assert.equal(Number(s.attrs[attr]), findAll(s, tag).length, `${s.attrs.name}: ${attr}`);
    }
  }
  assert.equal(Number(root.attrs.tests), findAll(root, 'testcase').length);
  assert.equal(Number(root.attrs.failures), findAll(root, 'failure').length);
  assert.equal(Number(root.attrs.errors), findAll(root, 'error').length);
  assert.equal(Number(root.attrs.skipped), findAll(root, 'skipped').length);
  assert.equal(root.attrs.time, '21.500');
});

test('junit: network faults are failures, an SSH fault an error on the session, its unmeasured paths skipped', () => {
  const root = parseXml(renderJunit(fleetReport()));
  assert.deepEqual(outcomes(suiteOf(root, 'healthy')), {
    session: 'pass',
    'callback 10.0.1.2 -> 10.0.0.1:63001 (http)': 'pass',
    'callback 10.0.1.2 -> 10.0.0.1:63002 (https)': 'pass',
    'forward controller -> 10.0.1.2:22 (tcp)': 'pass',
    'forward controller -> 10.0.1.2:443 (tcp)': 'pass',
  });
  assert.deepEqual(outcomes(suiteOf(root, 'sshd-stopped')), {
    session: 'error',
    'callback 10.0.10.2 -> 10.0.0.1:63001 (http)': 'skipped',
    'callback 10.0.10.2 -> 10.0.0.1:63002 (https)': 'skipped',
    'forward controller -> 10.0.10.2:22 (tcp)': 'failure',
    'forward controller -> 10.0.10.2:443 (tcp)': 'failure',
  });
  const error = findAll(suiteOf(root, 'sshd-stopped'), 'error')[0]!;
  assert.equal(error.attrs.type, 'ssh-refused');
  // ssh's last stderr line is the message: its control characters made visible, the rest intact through the escaping.
  assert.match(error.attrs.message!, /^SSH refused: \\x1b\[31mssh: connect to host 10\.0\.10\.2 port 22: Connection refused\\x1b\[0m <"quoted"> & 'single'$/);
  assert.match(error.text, /"exitCode": 255/);
  const mtu = suiteOf(root, 'mtu');
  assert.deepEqual(findAll(mtu, 'failure').map((f) => f.attrs.type), ['mtu-blackhole']);
  assert.match(findAll(mtu, 'system-out')[0]!.text, /^warning: slow: /);
  const shared = findAll(suiteOf(root, 'web1'), 'failure')[0]!;
  assert.match(shared.text, /shared cause: every node of 10\.0\.20\.0\/24 fails/);
  assert.match(findAll(suiteOf(root, 'tls-proxy'), 'failure')[0]!.attrs.message!, /subject "CN=Corp <Inspect> & Co"/);
});

test('junit: a path the agent could not measure on a working session is a warning, not an error, so the file is green exactly when the exit code is 0', () => {
  const report = fleetReport();
  const healthy = report.nodes[0]!;
  const unmeasured: Report = { ...report, nodes: [{ ...healthy, verdict: 'not-measured', paths: healthy.paths.map((p, i) => (i === 0 ? { ...p, verdict: 'not-measured' } : p)) }] };
  const root = parseXml(renderJunit(unmeasured));
  assert.equal(getExitCode(unmeasured), 0);
  assert.deepEqual([root.attrs.failures, root.attrs.errors], ['0', '0']);
  assert.match(findAll(root, 'system-out')[0]!.text, /^warning: not-measured: Not measured/);

  const allOk: Report = { ...report, nodes: [healthy], findings: [] };
  const okRoot = parseXml(renderJunit(allOk));
  assert.equal(getExitCode(allOk), 0);
  assert.deepEqual([okRoot.attrs.failures, okRoot.attrs.errors], ['0', '0']);
});
