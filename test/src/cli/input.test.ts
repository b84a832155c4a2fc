/**
 * Big and bad input at the CLI: flags are checked before any file is read, input files are bounded
 * and text only, listeners never share a port, --history never grows a new tree, and no input ever
 * ends in a stack trace (exit 3) instead of a usage error (exit 2).
 */
import assert from 'node:assert/strict';
import { existsSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeInventory } from '../../../src/cli/inventory.js';
import { MAX_INVENTORY_BYTES } from '../../../src/inventory/parse.js';
import type { NodeSpec } from '../../../src/inventory/types.js';
import { renderJson } from '../../../src/render/json.js';
import type { NodeReport } from '../../../src/report.js';
import { report, simpleNode } from '../../helpers/report-builder.js';
import { escapeRegExp } from '../../helpers/regexp.js';
import { tempDir, twoway } from '../../helpers/cli.js';

const STACK_LINE = /^\s+at /m;

function assertUsageError(r: ReturnType<typeof twoway>, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, STACK_LINE);
  assert.doesNotMatch(r.stderr, /testing|internal error/);
}

/** A sparse file just over the inventory limit: its size is known at once, and nothing need be written. */
function oversizedInventory(dir: string): string {
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, '');
  truncateSync(file, MAX_INVENTORY_BYTES + 1);
  return file;
}

test('cli input: the same port for HTTP and HTTPS is a usage error naming both flags, not a busy port', () => {
  const r = twoway(['run', '--node', '127.0.0.1', '--port', '7000', '--ssl-port', '7000']);
  assertUsageError(r, /field "--ssl-port": --ssl-port 7000 and --port 7000 both use port 7000/);
  assert.doesNotMatch(r.stderr, /another process/);
});

test('cli input: a port equal to the other listener\'s default or to hpsum.ini names where each came from', (t) => {
  assertUsageError(twoway(['run', '--node', '127.0.0.1', '--ssl-port', '63001']), /--ssl-port 63001 and --port \(default\) 63001 both use port 63001/);
  const ini = join(tempDir(t), 'hpsum.ini');
  writeFileSync(ini, '[General]\nport=7001\n');
  assertUsageError(twoway(['run', '--node', '127.0.0.1', '--hpsum-ini', ini, '--ssl-port', '7001']), new RegExp(`--ssl-port 7001 and port= in ${escapeRegExp(ini)} 7001 both use port 7001`));
});

test('cli input: FTP ports overlapping the web ports or each other are usage errors', () => {
  assertUsageError(
    twoway(['run', '--node', '127.0.0.1', '--ftp', '--ftp-data-ports', '63000-63010']),
    /field "--ftp-data-ports": --ftp-data-ports 63000-63010 and --port \(default\) 63001 both use port 63001/,
  );
  assertUsageError(twoway(['run', '--node', '127.0.0.1', '--ftp', '--ftp-port', '63002']), /--ftp-port 63002 and --ssl-port \(default\) 63002 both use port 63002/);
  assertUsageError(twoway(['run', '--node', '127.0.0.1', '--ftp', '--ftp-port', '63008']), /--ftp-data-ports 63006-63010 and --ftp-port 63008 both use port 63008/);
});

test('cli input: --history under a missing directory exits 2 and makes nothing', (t) => {
  const dir = tempDir(t);
  const history = join(dir, 'typo', 'history');
  const r = twoway(['run', '--node', '127.0.0.1', '--history', history]);
  assertUsageError(r, new RegExp(`${escapeRegExp(history)}, field "--history": .*neither does its parent ${escapeRegExp(join(dir, 'typo'))}`));
  assert.equal(existsSync(join(dir, 'typo')), false);
});

test('cli input: a binary hpsum.ini is refused, not taken as "use the default ports"', (t) => {
  const ini = join(tempDir(t), 'hpsum.ini');
  writeFileSync(ini, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]));
  assertUsageError(twoway(['run', '--node', '127.0.0.1', '--hpsum-ini', ini]), /field "--hpsum-ini": it is not a text file: a NUL byte at byte 7/);
});

test('cli input: an inventory over the limit is refused naming the file, its size and the limit', (t) => {
  const file = oversizedInventory(tempDir(t));
  const limit = /the inventory is 16\.0 MiB \(16777217 bytes\), more than the limit of 16\.0 MiB \(16777216 bytes\)/;
  assertUsageError(twoway(['inventory', file]), new RegExp(`^twoway: ${escapeRegExp(file)}: ${limit.source}`));
  assertUsageError(twoway(['run', '--inventory', file]), limit);
});

test('cli input: flags are checked before any file is read', (t) => {
  const dir = tempDir(t);
  const file = oversizedInventory(dir);
  const ini = join(dir, 'hpsum.ini');
  writeFileSync(ini, Buffer.from([0]));
  for (const [flags, message] of [
    [['--concurrency', '0'], /field "--concurrency"/],
    [['--port', '7', '--ssl-port', '7'], /field "--ssl-port"/],
    [['--json', join(dir, 'no', 'r.json')], /field "--json"/],
    [['--keep', '3'], /--keep needs --history/],
    [['--history', join(dir, 'no', 'h')], /field "--history"/],
  ] as [string[], RegExp][]) {
    const r = twoway(['run', '--inventory', file, '--hpsum-ini', ini, ...flags]);
    assertUsageError(r, message);
    assert.doesNotMatch(r.stderr, /inventory|hpsum/, flags.join(' '));
  }
});

test('cli input: 50,000 nodes load', (t) => {
  const file = join(tempDir(t), 'hosts');
  writeFileSync(file, Array.from({ length: 50_000 }, (_, i) => `root@10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`).join('\n'));
  const r = twoway(['inventory', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { nodes: unknown[] }).nodes.length, 50_000);
});

test('cli input: bad inventories exit 2 with a message, never a stack trace', (t) => {
  const dir = tempDir(t);
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)];
  const cases: [string, string | Buffer, RegExp][] = [
    ['deep.json', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, /line 1: JSON syntax error: values nested more than 64 levels deep/],
    ['deep.yaml', `nodes: ${'['.repeat(50_000)}${']'.repeat(50_000)}`, /line 1: YAML syntax error: values nested more than 64 levels deep/],
    ['bomb.yaml', `${bomb.join('\n')}\nnodes: *i\n`, /YAML aliases expand to more than 100000 values/],
    ['binary', Buffer.from([0x1f, 0x8b, 0x08, 0x00]), /the inventory is not a text file: a NUL byte at byte 3/],
    ['chain.ini', Array.from({ length: 2000 }, (_, i) => `[g${i}:children]\ng${i + 1}`).join('\n') + '\n[g2000]\nweb1\n', /groups nested more than 64 levels deep/],
  ];
  for (const [name, content, message] of cases) {
    const file = join(dir, name);
    writeFileSync(file, content);
    assertUsageError(twoway(['inventory', file]), new RegExp(`${escapeRegExp(file)}.*${message.source}`));
  }
});

test('cli input: --profile names only profiles, not what every object has (constructor was a crash in the run)', () => {
  assertUsageError(twoway(['run', '--node', '127.0.0.1', '--profile', 'constructor']), /field "--profile": unknown profile "constructor"/);
});

test('cli input: a report that lacks what the renderers read is refused naming the file, not a crash', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'old.json');
  const r = report('20250101T000000-abcdef', [simpleNode('web1', '10.0.0.2', 'blocked')]);
  const { profile: _profile, callbackAddresses: _callbackAddresses, ...incomplete } = r.nodes[0]!;
  writeFileSync(file, renderJson({ ...r, nodes: [incomplete as NodeReport] }));
  assertUsageError(twoway(['render', file, '--html', join(dir, 'r.html')]), new RegExp(`^twoway: ${escapeRegExp(file)}: cannot render it: .*expected a complete report`));
});

test('inventory listing: 200,000 nodes are laid out without spreading a column into Math.max', () => {
  const nodes: NodeSpec[] = Array.from({ length: 200_000 }, (_, i) => ({ name: `n${i}`, addresses: [`10.0.${i >> 8}.${i & 255}`], profile: 'linux', from: { file: 'hosts', line: i + 1 } }));
  const lines = describeInventory('hosts', 'hostlist', { nodes, controller: {} }).trimEnd().split('\n');
  assert.equal(lines.length, 3 + nodes.length);
  const column = (lines[2] ?? '').indexOf('ADDRESSES');
  assert.equal((lines[3] ?? '').indexOf('10.0.0.0'), column);
  assert.equal((lines.at(-1) ?? '').indexOf('10.0.781.63'), column);
});
