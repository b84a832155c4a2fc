/**
 * Nightly regression runs against the lab: a run with --baseline last fails only when something new
 * breaks. Three runs on a few nodes, stored with --history: a clean one; one with a lab fault that
 * cuts off one healthy node's callbacks (exit 1, naming only that node, not the known-bad ones); and
 * one with the fault removed, compared with the second (exit 0, the node fixed). Needs root.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, setFault } from '../../controller/lab/index.js';
import { CALLBACK_PORTS } from '../../controller/lab/plan.js';
import type { ReportDiff } from '../../src/diff.js';
import { listRuns } from '../../src/history.js';
import { labInventoryOf } from './lab-inventory.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
/** web1 is healthy until the fault; reject and dual (one NIC's callbacks blocked) fail the same way every run. */
const NODES = ['healthy', 'web1', 'reject', 'dual'];
/** A lab-wide fault that, of NODES, reaches only web1: the router drops new callbacks from web1's subnet. */
const FAULT = 'subnet-egress';

let work = '';
let inventory = '';
let history = '';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-baseline-'));
  history = join(work, 'history');
  inventory = labInventoryOf((await labUp()).paths.inventory, work, NODES);
});
after(async () => {
  try {
    await setFault(FAULT, false);
  } finally {
    await labDown();
    rmSync(work, { recursive: true, force: true });
  }
});

function twoway(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.error, undefined, `twoway ${args[0]} did not finish: ${r.error?.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function run(...extra: string[]): { code: number | null; stdout: string; stderr: string } {
  return twoway(['run', '--inventory', inventory, '--quiet', '--history', history, ...extra]);
}

/** The "New breakage:" section of the comparison, up to the next section. */
function breakageSection(stdout: string): string {
  const rest = stdout.split(/^New breakage:\n/m)[1];
  assert.ok(rest !== undefined, `a "New breakage" section in:\n${stdout}`);
  return rest.split(/^\S/m)[0]!;
}

test('lab baseline: a new fault fails the run naming only the new failure; removing it passes', async () => {
  const first = run('--baseline', 'last');
  assert.equal(first.code, 1, 'no earlier run: the known-bad nodes fail it');
  assert.match(first.stderr, /no earlier finished run/);
  const [firstRun] = listRuns(history);
  assert.ok(firstRun);

  await setFault(FAULT, true);
  let second;
  try {
    second = run('--baseline', 'last');
  } finally {
    await setFault(FAULT, false);
  }
  assert.equal(second.code, 1, `new breakage: exit 1\n${second.stdout}`);
  const firstId = firstRun.replace(/\.json$/, '');
  assert.match(second.stdout, new RegExp(`^Compared with baseline ${firstId}: ${CALLBACK_PORTS.length} new, 0 fixed, 0 changed kind, \\d+ still failing$`, 'm'));
  const named = breakageSection(second.stdout)
    .trimEnd()
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0]);
  assert.deepEqual(named, CALLBACK_PORTS.map(() => 'web1'), 'only web1 is named as new');
  for (const port of CALLBACK_PORTS) assert.match(second.stdout, new RegExp(`^ {2}web1\\s+callback https?:${port} -> \\S+\\s+ok -> blocked$`, 'm'));
  assert.match(second.stdout, /^Still failing: \d+ \(reject, dual\)$/m);

  const runs = listRuns(history);
  assert.equal(runs.length, 2);
  const secondFile = join(history, runs[1]!);

  // The same comparison with twoway diff, as JSON: the breakage is web1's callbacks and nothing else.
  const diff = twoway(['diff', join(history, firstRun), secondFile, '--json', '-']);
  assert.equal(diff.code, 1);
  const parsed = JSON.parse(diff.stdout) as ReportDiff;
  assert.deepEqual(
    parsed.entries.filter((e) => e.breakage).map((e) => [e.node, e.change, e.old, e.new, e.path?.direction, e.path?.port]),
    CALLBACK_PORTS.map((port) => ['web1', 'new-failure', 'ok', 'blocked', 'callback', port]),
  );
  // The dual-homed node's paths are matched per source address: its blocked NIC is still failing, nothing moved.
  const dualStill = parsed.entries.filter((e) => e.node === 'dual' && e.change === 'still-failing');
  assert.ok(dualStill.some((e) => e.path?.from !== undefined), 'dual: per-source callback keys');
  assert.deepEqual(parsed.entries.filter((e) => e.node === 'dual' && e.change !== 'still-failing'), []);

  // Fault removed, compared with the faulty run: web1 is fixed, nothing new, exit 0.
  const third = run('--baseline', secondFile);
  assert.equal(third.code, 0, `${third.stdout}${third.stderr}`);
  assert.match(third.stdout, new RegExp(`^Compared with baseline ${runs[1]!.replace(/\.json$/, '')}: 0 new, ${CALLBACK_PORTS.length} fixed, `, 'm'));
  assert.match(third.stdout, /^Fixed:\n {2}web1\s+callback/m);
  assert.equal(listRuns(history).length, 3);
});
