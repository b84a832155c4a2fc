/**
 * Issue 7's "done when": one lab run writes every report format at once, and each file is checked
 * the way its consumer reads it (JUnit by a strict XML parser, Prometheus line by line against the
 * exposition grammar, HTML in Chromium, JSON Lines line by line). Needs root (the lab).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labDown, labUp } from '../../controller/lab/index.js';
import type { JsonlRecord } from '../../src/render/jsonl.js';
import type { Report } from '../../src/report.js';
import { checkHtmlReport } from '../helpers/html-check.js';
import { parseProm } from '../helpers/prom-parse.js';
import { findAll, parseXml } from '../helpers/xml-strict.js';
import { labInventoryOf } from './lab-inventory.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
const NODES = ['healthy', 'reject', 'sshd-stopped'];
let work = '';
let inventory = '';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-formats-'));
  inventory = labInventoryOf((await labUp()).paths.inventory, work, NODES);
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

test('lab formats: one run writes JSON, JSON Lines, JUnit, Prometheus and HTML, each valid for its reader', { timeout: 300_000 }, async (t) => {
  const out = (name: string): string => join(work, name);
  const args = ['run', '--inventory', inventory, '--json', out('r.json'), '--jsonl', out('r.jsonl'), '--junit', out('r.xml'), '--prom', out('r.prom'), '--html', out('r.html'), '--history', out('history')];
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, NO_COLOR: '1', CI: '1' } });
  assert.equal(r.error, undefined, `twoway run did not finish: ${r.error?.message}`);
  assert.equal(r.status, 1, `faults found: exit 1\n${r.stderr}`);
  // Without a TTY (and under CI): one plain progress line per node.
  assert.equal(r.stderr.split('\n').filter((l) => /^\[\d\/3\] /.test(l)).length, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /\x1b/);

  const report = JSON.parse(readFileSync(out('r.json'), 'utf8')) as Report;
  // The sixth output: the run stored in the history under its id, the same report as --json.
  assert.deepEqual(readdirSync(out('history')), [`${report.run.id}.json`]);
  assert.deepEqual(JSON.parse(readFileSync(join(out('history'), `${report.run.id}.json`), 'utf8')), report);
  assert.deepEqual(report.nodes.map((n) => n.name).sort(), [...NODES].sort());
  const pathCount = report.nodes.reduce((a, n) => a + n.paths.length, 0);

  // JSON Lines: every line parses; started first, a node-finished per node, finished last with the exit code.
  const records = readFileSync(out('r.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as JsonlRecord);
  assert.equal(records[0]?.type, 'started');
  assert.equal(records.filter((x) => x.type === 'node-finished').length, NODES.length);
  assert.ok(records.some((x) => x.type === 'agent-event'), 'agent events as they happened');
  const last = records.at(-1)!;
  assert.equal(last.type, 'finished');
  assert.equal(last.type === 'finished' && last.exitCode, 1);
  assert.deepEqual(last.type === 'finished' && last.summary, report.summary);

  // JUnit: a suite per node, a case per path plus the session; sshd-stopped's session is an error, reject's callbacks failures.
  const junit = parseXml(readFileSync(out('r.xml'), 'utf8'));
  assert.equal(findAll(junit, 'testsuite').length, NODES.length);
  assert.equal(findAll(junit, 'testcase').length, pathCount + NODES.length);
  const suite = (name: string) => findAll(junit, 'testsuite').find((s) => s.attrs.name === name)!;
  assert.deepEqual(findAll(suite('sshd-stopped'), 'error').map((e) => e.attrs.type), ['ssh-refused']);
  assert.ok(findAll(suite('reject'), 'failure').some((f) => f.attrs.type === 'rejected'));
  assert.equal(findAll(suite('healthy'), 'failure').length + findAll(suite('healthy'), 'error').length, 0);

  // Prometheus: every line parses; a path series per path; the healthy node is the only one ok.
  const prom = parseProm(readFileSync(out('r.prom'), 'utf8'));
  assert.equal(prom.get('twoway_path_ok')?.samples.length, pathCount);
  assert.deepEqual(prom.get('twoway_node_ok')?.samples.filter((s) => s.value === 1).map((s) => s.labels.node), ['healthy']);
  assert.equal(prom.get('twoway_run_exit_code')?.samples[0]?.value, 1);
  assert.deepEqual(readdirSync(work).filter((f) => f.includes('.tmp-')), [], 'no temp file left');

  // HTML in Chromium.
  const shot = out('r.png');
  const seen = await checkHtmlReport(out('r.html'), report, t, shot);
  assert.deepEqual(seen.requests, [`file://${out('r.html')}`]);
  assert.ok(statSync(shot).size > 1000);
});
