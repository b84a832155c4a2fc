/** Report files from a real (loopback) run: several formats at once, and a bad output path refused before anything starts. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { JsonlRecord } from '../../../src/render/jsonl.js';
import { parseProm } from '../../helpers/prom-parse.js';
import { findAll, parseXml } from '../../helpers/xml-strict.js';
import { twoway } from '../../helpers/cli.js';

/** A loopback port with nothing listening: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

test('cli outputs: a bad output directory exits 2 naming the flag and the file, before anything starts', () => {
  const r = twoway(['run', '--node', '127.0.0.1', '--junit', '/nonexistent/dir/r.xml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\/nonexistent\/dir\/r\.xml, field "--junit": the directory \/nonexistent\/dir does not exist/);
  assert.doesNotMatch(r.stderr, /testing/);
  const same = twoway(['run', '--node', '127.0.0.1', '--json', 'x', '--html', 'x']);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /--html.*also the file of --json/);
});

test('cli outputs: a run whose SSH is refused writes every format at once, and --quiet keeps stderr empty', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-outputs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await closedPort();
  const f = (name: string) => join(dir, name);
  const r = twoway([
    'run', '--node', `127.0.0.1:${port}`, '--callback-address', '127.0.0.1', '--port', '0', '--ssl-port', '0', '--no-alternates', '--quiet',
    '--json', f('r.json'), '--jsonl', f('r.jsonl'), '--junit', f('r.xml'), '--prom', f('r.prom'), '--html', f('r.html'),
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, '');
  assert.deepEqual(readdirSync(dir).sort(), ['r.html', 'r.json', 'r.jsonl', 'r.prom', 'r.xml']);
  assert.equal(JSON.parse(readFileSync(f('r.json'), 'utf8')).nodes[0].nodeVerdict, 'ssh-refused');
  const records = readFileSync(f('r.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as JsonlRecord);
  assert.deepEqual(records.map((x) => x.type).filter((x) => x !== 'agent-event'), ['started', 'node-started', 'node-finished', 'finished']);
  assert.ok(records.every((x) => typeof x.at === 'string'));
  assert.deepEqual(findAll(parseXml(readFileSync(f('r.xml'), 'utf8')), 'error').map((e) => e.attrs.type), ['ssh-refused']);
  assert.equal(parseProm(readFileSync(f('r.prom'), 'utf8')).get('twoway_nodes_by_verdict')?.samples.find((s) => s.labels.verdict === 'ssh-refused')?.value, 1);
  assert.match(readFileSync(f('r.html'), 'utf8'), /ssh-refused/);
});
