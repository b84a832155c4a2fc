/** The CLI as an operator meets it: bad flags and bad inventories exit 2 naming what is wrong; faults exit 1. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { VERDICT_KINDS, VERDICTS } from '../../../src/verdicts.js';
import { escapeRegExp } from '../../helpers/regexp.js';
import { twoway, tempDir } from '../../helpers/cli.js';


const USAGE_ERRORS: [string, string[], RegExp][] = [
  ['unknown flag', ['run', '--nodes', 'x'], /unknown option '--nodes'/],
  ['nothing to test', ['run'], /nothing to test/],
  ['bad port', ['run', '--node', '127.0.0.1', '--port', '70000'], /--port.*0 to 65535.*70000/],
  ['bad size', ['run', '--node', '127.0.0.1', '--sizes', '1k,huge'], /--sizes.*"huge"/],
  ['bad callback address', ['run', '--node', '127.0.0.1', '--callback-address', 'ctl.example'], /--callback-address.*IP address/],
  ['bad profile', ['run', '--node', '127.0.0.1', '--profile', 'amiga'], /field "--profile": unknown profile "amiga"; expected one of linux, windows, vmware, ilo, oa, vc, switch, integrity/],
  ['integrity node with one address', ['run', '--node', '127.0.0.1', '--profile', 'integrity'], /node "127\.0\.0\.1" has profile integrity, which needs 2 addresses.*found 1/],
  ['missing profile file', ['profiles', '--profiles', '/nonexistent/p.yaml'], /\/nonexistent\/p\.yaml, field "--profiles": cannot read the profile file: ENOENT/],
  ['bad node spec', ['run', '--node', 'root@'], /^twoway: --node, field "--node": expected \[user@\]host\[:port\].*"root@"/],
  ['missing inventory', ['run', '--inventory', '/nonexistent/inv.yaml'], /\/nonexistent\/inv\.yaml/],
  ['unknown runtime', ['run', '--node', '127.0.0.1', '--runtime', 'perl'], /Allowed choices are node, python, sh-curl/],
  ['unknown verdict kind', ['explain', 'broken'], /Allowed choices are ok/],
  ['missing hpsum.ini', ['run', '--node', '127.0.0.1', '--hpsum-ini', '/nonexistent/hpsum.ini'], /\/nonexistent\/hpsum\.ini, field "--hpsum-ini": cannot read it: ENOENT/],
];

for (const [name, args, message] of USAGE_ERRORS) {
  test(`cli: ${name} exits 2 with a clear message`, () => {
    const r = twoway(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  });
}

test('cli: a bad inventory names file, line and field, and nothing starts', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'inv.yaml');
  writeFileSync(file, 'defaults:\n  user: root\nnodes:\n  - name: a\n    address: 10.0.0.1\n  - name: b\n    address: 10.0.0.2\n    port: 70000\n');
  const r = twoway(['run', '--inventory', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${escapeRegExp(file)}.*line 8.*nodes\\[1\\]\\.port`));
  assert.doesNotMatch(r.stderr, /testing/);
});

test('cli: explain lists every kind with its title and explains one', () => {
  const all = twoway(['explain']);
  assert.equal(all.code, 0);
  for (const kind of VERDICT_KINDS) assert.match(all.stdout, new RegExp(`^  ${kind}\\s+${VERDICTS[kind].class}\\s+${escapeRegExp(VERDICTS[kind].title)}$`, 'm'), kind);
  const one = twoway(['explain', 'blocked']);
  assert.equal(one.code, 0);
  assert.match(one.stdout, /^blocked: Blocked \(path verdict, fault: /);
  assert.match(twoway(['explain', 'closed']).stdout, /^closed: Closed \(path works\) \(path verdict, information: never changes the node verdict/);
  assert.match(one.stdout, /Fix: /);
});

test('cli: a node that refuses SSH gives exit 1, a diagnosis and a JSON report', (t) => {
  const dir = tempDir(t);
  const json = join(dir, 'report.json');
  // Port 1 on loopback: nothing listens, so ssh is refused at once; the listeners use free ports
  // (no alternates: 80 and 443 on loopback would be seen by other tests' forward probes).
  const r = twoway(['run', '--node', 'root@127.0.0.1:1', '--port', '0', '--ssl-port', '0', '--no-alternates', '--json', json, '--connect-timeout', '2']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^NODE\s+VERDICT/m);
  assert.match(r.stdout, /^127\.0\.0\.1\s+ssh-refused/m);
  assert.match(r.stdout, /SSH refused/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.version, 1);
  assert.equal(report.nodes[0].verdict, 'ssh-refused');
  assert.ok(report.nodes[0].paths.some((p: { direction: string; verdict: string }) => p.direction === 'callback' && p.verdict === 'not-measured'));
  assert.ok(report.nodes[0].paths.some((p: { direction: string; port: number }) => p.direction === 'forward' && p.port === 22));
});
