/** `twoway run --shard` and `twoway merge` as an operator meets them: exit codes, files, what is named. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderJson } from '../../../src/render/json.js';
import type { Report } from '../../../src/report.js';
import { shardOf, type Shard } from '../../../src/shard.js';
import { report, simpleNode } from '../../helpers/report-builder.js';
import { tempDir, twoway } from '../../helpers/cli.js';

function writeShard(dir: string, name: string, r: Report, shard: Shard): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, renderJson({ ...r, run: { ...r.run, shard } }));
  return file;
}

test('cli merge: two shards make one report in every format; a fault in either exits 1', (t) => {
  const dir = tempDir(t, 'twoway-cli-merge-');
  const one = writeShard(dir, 'one', report('20250101T010000-aaaaaa', [simpleNode('web1', '10.1.0.2')]), { index: 1, count: 2 });
  const two = writeShard(dir, 'two', report('20250101T010003-bbbbbb', [simpleNode('db1', '10.1.0.3', 'rejected')]), { index: 2, count: 2 });
  const out = Object.fromEntries(['json', 'jsonl', 'junit', 'prom', 'html'].map((f) => [f, join(dir, `merged.${f}`)]));
  const r = twoway(['merge', two, one, ...Object.entries(out).flatMap(([f, file]) => [`--${f}`, file])]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^2 node\(s\), 1 with problems/m);
  assert.match(r.stdout, /^Merged 2 report\(s\)$/m);
  for (const file of Object.values(out)) assert.ok(existsSync(file), file);
  const merged = JSON.parse(readFileSync(out.json!, 'utf8')) as Report;
  assert.deepEqual(merged.nodes.map((n) => [n.name, n.verdict]), [['web1', 'ok'], ['db1', 'rejected']]);
  assert.match(readFileSync(out.jsonl!, 'utf8'), /"type":"finished","exitCode":1/);
  assert.match(readFileSync(out.html!, 'utf8'), /<dt>merged from<\/dt><dd>[^<]*one\.json \(shard 1\/2, run 20250101T010000-aaaaaa, 1 node\(s\)\)/);

  const healthy = writeShard(dir, 'healthy', report('20250101T010003-cccccc', [simpleNode('db1', '10.1.0.3')]), { index: 2, count: 2 });
  assert.equal(twoway(['merge', one, healthy]).code, 0, 'no fault in any shard: 0');
});

test('cli merge: bad input exits 2 and names what is wrong', (t) => {
  const dir = tempDir(t, 'twoway-cli-merge-');
  const one = writeShard(dir, 'one', report('20250101T010000-aaaaaa', [simpleNode('web1', '10.1.0.2')]), { index: 1, count: 2 });
  const again = writeShard(dir, 'again', report('20250101T010003-bbbbbb', [simpleNode('web1', '10.1.0.2')]), { index: 2, count: 2 });
  const cases: [string, string[], RegExp][] = [
    ['a node in two reports', ['merge', one, again], /again\.json, field "<report>": node "web1" is in .*one\.json and in .*again\.json/],
    ['a shard missing', ['merge', one], /shard\(s\) 2\/2 missing/],
    ['no report', ['merge'], /missing required argument 'report'/],
    ['a missing file', ['merge', one, join(dir, 'nope.json')], /nope\.json, field "<report>": cannot read the report: ENOENT/],
    ['--shard out of range', ['run', '--node', '127.0.0.1', '--shard', '3/2'], /field "--shard": expected I\/N.*got "3\/2"/],
    ['--shard not I/N', ['run', '--node', '127.0.0.1', '--shard', '2'], /field "--shard": expected I\/N.*got "2"/],
  ];
  for (const [what, args, message] of cases) {
    const r = twoway(args);
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    assert.match(r.stderr, message, what);
  }
  const partial = twoway(['merge', one, '--partial']);
  assert.equal(partial.code, 0, partial.stderr);
  assert.match(partial.stdout, /^Merged 1 report\(s\); shard\(s\) 2\/2 missing: their nodes are not in this report$/m);
});

test('cli run --shard: a shard that holds no node tests nothing, exits 0 and writes a report that says which shard it was', (t) => {
  const dir = tempDir(t, 'twoway-cli-shard-');
  const node = '127.0.0.1';
  const other = shardOf(node, 2) === 1 ? 2 : 1;
  const json = join(dir, 'empty.json');
  const r = twoway(['run', '--node', node, '--shard', `${other}/2`, '--json', json, '--quiet', '--port', '1', '--ssl-port', '2']);
  assert.equal(r.code, 0, r.stderr);
  const written = JSON.parse(readFileSync(json, 'utf8')) as Report;
  assert.deepEqual(written.run.shard, { index: other, count: 2 });
  assert.deepEqual(written.nodes, []);
  assert.equal(written.run.settings.httpPort, 1, 'the run settings, for merge to compare');
});
