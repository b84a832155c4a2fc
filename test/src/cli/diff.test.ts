/** `twoway diff` and `twoway run --history/--baseline` as an operator meets them: exit codes and what is named. */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderJson } from '../../../src/render/json.js';
import { report, simpleNode } from '../../helpers/report-builder.js';
import { twoway, tempDir } from '../../helpers/cli.js';

function writeReports(dir: string): { healthy: string; broken: string; alsoBroken: string } {
  const files = {
    healthy: report('20250101T010000-aaaaaa', [simpleNode('web1', '10.1.0.2'), simpleNode('reject', '10.3.0.2', 'rejected')]),
    broken: report('20250102T010000-bbbbbb', [simpleNode('web1', '10.1.0.2', 'blocked'), simpleNode('reject', '10.3.0.2', 'rejected')]),
    alsoBroken: report('20250103T010000-cccccc', [simpleNode('web1', '10.1.0.2', 'blocked'), simpleNode('reject', '10.3.0.2', 'rejected')]),
  };
  const paths = Object.fromEntries(Object.keys(files).map((name) => [name, join(dir, `${name}.json`)])) as Record<keyof typeof files, string>;
  for (const [name, r] of Object.entries(files)) writeFileSync(paths[name as keyof typeof files], renderJson(r));
  return paths;
}

test('cli diff: new breakage exits 1 and is named; the node failing in both runs is not', (t) => {
  const f = writeReports(tempDir(t, 'twoway-cli-diff-'));
  const r = twoway(['diff', f.healthy, f.broken]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^Compared 20250102T010000-bbbbbb with 20250101T010000-aaaaaa: 2 new, 0 fixed, 0 changed kind, 2 still failing$/m);
  assert.match(r.stdout, /^ {2}web1\s+callback http:63001 -> 10\.0\.0\.1\s+ok -> blocked$/m);
  assert.doesNotMatch(r.stdout, /^ {2}reject/m);
});

test('cli diff: the same failures exit 0; fixes exit 0', (t) => {
  const f = writeReports(tempDir(t, 'twoway-cli-diff-'));
  const same = twoway(['diff', f.broken, f.alsoBroken]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /: 0 new, 0 fixed, 0 changed kind, 4 still failing$/m);
  const fixed = twoway(['diff', f.broken, f.healthy]);
  assert.equal(fixed.code, 0);
  assert.match(fixed.stdout, /^Fixed:\n {2}web1/m);
});

test('cli diff: --json - prints the diff as JSON instead of the text', (t) => {
  const f = writeReports(tempDir(t, 'twoway-cli-diff-'));
  const r = twoway(['diff', f.healthy, f.broken, '--json', '-']);
  assert.equal(r.code, 1);
  const diff = JSON.parse(r.stdout) as { version: number; old: { id: string }; entries: { node: string; change: string; breakage: boolean }[] };
  assert.equal(diff.version, 1);
  assert.equal(diff.old.id, '20250101T010000-aaaaaa');
  assert.deepEqual(
    diff.entries.filter((e) => e.breakage).map((e) => [e.node, e.change]),
    [
      ['web1', 'new-failure'],
      ['web1', 'new-failure'],
    ],
  );
});

const BAD_INPUT: [string, (dir: string, f: ReturnType<typeof writeReports>) => string[], RegExp][] = [
  ['a missing report', (dir, f) => ['diff', f.healthy, join(dir, 'nope.json')], /nope\.json, field "<new>": cannot read the report: ENOENT/],
  ['not a report', (dir, f) => (writeFileSync(join(dir, 'x.json'), '{"nodes": []}\n'), ['diff', join(dir, 'x.json'), f.healthy]), /x\.json, line 1, field "version": report version nothing/],
  ['one argument', (_dir, f) => ['diff', f.healthy], /missing required argument 'new'/],
  ['--baseline last without --history', () => ['run', '--node', '127.0.0.1', '--baseline', 'last'], /--baseline.*give --history/],
  ['--fail-on new without a baseline', () => ['run', '--node', '127.0.0.1', '--fail-on', 'new'], /--fail-on.*needs --baseline/],
  ['--fail-on something else', () => ['run', '--node', '127.0.0.1', '--fail-on', 'some'], /Allowed choices are any, new/],
  ['--keep without --history', () => ['run', '--node', '127.0.0.1', '--keep', '3'], /--keep needs --history/],
  ['--keep 0', (dir) => ['run', '--node', '127.0.0.1', '--history', dir, '--keep', '0'], /--keep.*1 to 100000/],
  ['a missing baseline file', (dir) => ['run', '--node', '127.0.0.1', '--baseline', join(dir, 'old.json')], /old\.json, field "--baseline": cannot read the report: ENOENT/],
];

for (const [name, args, message] of BAD_INPUT) {
  test(`cli diff: ${name} exits 2 with a clear message and nothing starts`, (t) => {
    const dir = tempDir(t, 'twoway-cli-diff-');
    const r = twoway(args(dir, writeReports(dir)));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /testing/);
  });
}

test('cli run: --history stores each run; --baseline last fails only on new breakage', (t) => {
  const dir = tempDir(t, 'twoway-cli-diff-');
  const history = join(dir, 'history');
  // Port 1 on loopback refuses SSH at once: a known-bad node, the same in every run. Its forward
  // probes go to port 1 too, not to 22 and 443, which other tests' listeners may hold for a moment.
  const profiles = join(dir, 'profiles.yaml');
  writeFileSync(profiles, 'profiles:\n  closed:\n    extends: linux\n    remove: [22, 443]\n    add: [{ port: 1, probe: tcp, purpose: "nothing listens" }]\n');
  const run = (...extra: string[]) =>
    twoway(['run', '--node', 'root@127.0.0.1:1', '--profiles', profiles, '--profile', 'closed', '--port', '0', '--ssl-port', '0', '--no-alternates', '--connect-timeout', '2', '--quiet', '--history', history, ...extra]);

  const first = run('--baseline', 'last');
  assert.equal(first.code, 1, 'nothing to compare with: any failure fails');
  assert.match(first.stderr, /no earlier finished run in .*history; nothing to compare with/);
  const [firstFile] = readdirSync(history);
  assert.match(firstFile ?? '', /^\d{8}T\d{6}-[0-9a-f]{6}\.json$/);

  const second = run('--baseline', 'last');
  assert.equal(second.code, 0, `${second.stdout}${second.stderr}`);
  assert.match(second.stdout, new RegExp(`^Compared with baseline ${firstFile!.replace('.json', '')}: 0 new, 0 fixed, 0 changed kind, \\d+ still failing$`, 'm'));
  assert.match(second.stdout, /^Still failing: \d+ \(127\.0\.0\.1\)$/m);

  const third = run('--baseline', 'last', '--fail-on', 'any', '--keep', '2');
  assert.equal(third.code, 1, 'fail-on any: the known failure fails the run again');
  assert.equal(readdirSync(history).length, 2, '--keep 2');
  assert.ok(!readdirSync(history).includes(firstFile!), 'the oldest run was removed');
});
