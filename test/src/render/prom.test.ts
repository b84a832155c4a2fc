/** The Prometheus textfile: every line parses against the exposition grammar; values and labels say what the report says. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Report } from '../../../src/report.js';
import { renderProm } from '../../../src/render/prom.js';
import { writeFileAtomic } from '../../../src/render/write-file.js';
import { PATH_KINDS, VERDICT_KINDS } from '../../../src/verdicts.js';
import { parseProm, type PromFamily } from '../../helpers/prom-parse.js';
import { fleetReport } from '../../fixtures/report/load.js';

function family(families: Map<string, PromFamily>, name: string): PromFamily {
  const f = families.get(name);
  assert.ok(f, `family ${name}`);
  return f;
}

test('prom: the strict reader rejects what the textfile collector would', () => {
  const ok = '# HELP a_b x\n# TYPE a_b gauge\na_b{l="v"} 1\n';
  assert.equal(parseProm(ok).get('a_b')?.samples[0]?.value, 1);
  for (const bad of ['a_b 1\n', '# HELP a_b x\n# TYPE a_b gauge\na_b{l="v} 1\n', '# HELP a_b x\n# TYPE a_b gauge\na_b{l="\\x"} 1\n', '# HELP a_b x\n# TYPE a_b gauge\na_b 1\na_b 2\n', '# HELP a_b x\n# TYPE a_b gauge\na_b one\n', ok.slice(0, -1)]) {
    assert.throws(() => parseProm(bad), Error, bad);
  }
});

test('prom: every line parses; every family has HELP and TYPE and the twoway_ prefix', () => {
  const families = parseProm(renderProm(fleetReport()));
  assert.ok(families.size >= 10);
  for (const f of families.values()) {
    assert.match(f.name, /^twoway_/);
    assert.equal(f.type, 'gauge');
    assert.notEqual(f.help, '');
  }
});

test('prom: run time and duration, counts per verdict, a series per node and per path', () => {
  const report = fleetReport();
  const families = parseProm(renderProm(report));
  assert.equal(family(families, 'twoway_run_start_timestamp_seconds').samples[0]!.value, Date.parse('2025-01-01T03:00:00.000Z') / 1000);
  assert.equal(family(families, 'twoway_run_duration_seconds').samples[0]!.value, 21.5);
  assert.equal(family(families, 'twoway_run_exit_code').samples[0]!.value, 1);
  assert.equal(family(families, 'twoway_failed_nodes').samples[0]!.value, 7);

  const byVerdict = family(families, 'twoway_nodes_by_verdict').samples;
  assert.deepEqual(byVerdict.map((s) => s.labels.verdict), [...VERDICT_KINDS], 'every kind, also at 0');
  assert.equal(byVerdict.find((s) => s.labels.verdict === 'blocked')?.value, 3);
  assert.equal(byVerdict.find((s) => s.labels.verdict === 'ssh-refused')?.value, 1);
  const paths = family(families, 'twoway_paths_by_verdict').samples;
  assert.deepEqual(paths.map((s) => s.labels.verdict), [...PATH_KINDS]);
  assert.equal(paths.reduce((a, s) => a + s.value, 0), report.nodes.reduce((a, n) => a + n.paths.length, 0));

  const nodeOk = family(families, 'twoway_node_ok').samples;
  assert.deepEqual(nodeOk.filter((s) => s.value === 1).map((s) => s.labels.node), ['healthy']);
  const pathOk = family(families, 'twoway_path_ok').samples;
  assert.equal(pathOk.length, report.nodes.reduce((a, n) => a + n.paths.length, 0));
  assert.deepEqual(
    pathOk.find((s) => s.labels.node === 'dual' && s.labels.from === '10.0.4.2' && s.labels.port === '63001'),
    { name: 'twoway_path_ok', labels: { node: 'dual', direction: 'callback', from: '10.0.4.2', to: '10.0.0.1', port: '63001', proto: 'http' }, value: 0 },
  );
});

test('prom: label values with quotes, backslashes and line feeds are escaped and read back', () => {
  const report = fleetReport();
  const odd = 'rack "A"\\db\nnew';
  const renamed: Report = { ...report, nodes: report.nodes.map((n, i) => (i === 0 ? { ...n, name: odd } : n)) };
  const text = renderProm(renamed);
  assert.match(text, /node="rack \\"A\\"\\\\db\\nnew"/);
  const samples = parseProm(text).get('twoway_node_verdict')!.samples;
  assert.equal(samples[0]!.labels.node, odd);
});

test('prom: the file is replaced atomically (temp file in the same directory, then rename), leaving no temp file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-prom-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'twoway.prom');
  writeFileAtomic(file, 'old\n');
  writeFileAtomic(file, renderProm(fleetReport()));
  assert.deepEqual(readdirSync(dir), ['twoway.prom']);
  assert.ok(parseProm(readFileSync(file, 'utf8')).has('twoway_nodes'));
  // A failed write leaves the old file as it was and no temp file behind.
  assert.throws(() => writeFileAtomic(join(dir, 'missing', 'x.prom'), 'x'), /ENOENT/);
  assert.deepEqual(readdirSync(dir), ['twoway.prom']);
});
