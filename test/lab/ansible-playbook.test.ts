/**
 * ansible/twoway.yml with Debian's ansible-playbook against two controllers: each runs
 * `twoway run --shard I/2` on the lab, the control node fetches both reports and merges them, and
 * the play fails by the merge's exit code. The merged report has every node once, with the
 * verdicts one controller testing them all gives. The two "controllers" are Ansible hosts with
 * ansible_connection=local: the lab has one controller namespace, which twoway enters itself
 * (the inventory's controller netns), so they run one after the other (twoway_serial=1); with both
 * at once their listeners would want the same ports in that one namespace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { LAB_SCENARIOS, labDown, labUp, type LabPaths } from '../../controller/lab/index.js';
import type { NodeReport, Report } from '../../src/report.js';
import { BIN } from '../helpers/cli.js';
import { labInventoryOf } from './lab-inventory.js';
import { runTwoway } from './lab-run.js';

const PLAYBOOK = fileURLToPath(new URL('../../../ansible/twoway.yml', import.meta.url));
/** Fast scenarios: healthy ones, two of one subnet, and three different faults, one dual-homed. */
const WITH_FAULTS = ['healthy', 'web1', 'web2', 'reject', 'return-acl', 'dual'];
const HEALTHY = ['healthy', 'web1', 'web2'];

let work = '';
let paths: LabPaths;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-playbook-'));
  paths = (await labUp()).paths;
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

interface Play {
  code: number | null;
  stdout: string;
  /** The reports the control node fetched, by controller host, and the merged one. */
  shards: Record<'ctl1' | 'ctl2', Report>;
  merged: Report;
}

function play(name: string, nodes: readonly string[]): Play {
  const dir = join(work, name);
  mkdirSync(dir);
  const reports = join(dir, 'reports');
  const controllers = join(dir, 'controllers.ini');
  writeFileSync(controllers, ['[twoway_controllers]', ...['ctl1', 'ctl2'].map((h) => `${h} ansible_connection=local ansible_python_interpreter=/usr/bin/python3`), ''].join('\n'));
  const vars = join(dir, 'vars.json');
  writeFileSync(
    vars,
    JSON.stringify({
      twoway_inventory: labInventoryOf(paths.inventory, dir, nodes),
      twoway_command: [process.execPath, BIN],
      twoway_serial: 1,
      twoway_reports_dir: reports,
    }),
  );
  const r = spawnSync('ansible-playbook', ['-i', controllers, PLAYBOOK, '-e', `@${vars}`], {
    encoding: 'utf8',
    timeout: 300_000,
    cwd: dir,
    // ansible-core refuses to start without a UTF-8 locale.
    env: { ...process.env, LC_ALL: 'C.UTF-8', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-tmp'), ANSIBLE_RETRY_FILES_ENABLED: 'false' },
  });
  assert.equal(r.error, undefined, `ansible-playbook did not finish: ${r.error?.message}`);
  const read = (file: string): Report => JSON.parse(readFileSync(join(reports, file), 'utf8')) as Report;
  return { code: r.status, stdout: `${r.stdout}${r.stderr}`, shards: { ctl1: read('ctl1.json'), ctl2: read('ctl2.json') }, merged: read('merged.json') };
}

/** Each node's verdict and its paths' verdicts, by name: what must not depend on who tested it. */
function verdictsOf(report: Report): Record<string, { verdict: string; paths: string[] }> {
  const pathsOf = (n: NodeReport): string[] => n.paths.map((p) => `${p.direction} ${p.proto}:${p.port} ${p.from}->${p.to} ${p.verdict}`).sort();
  return Object.fromEntries(report.nodes.map((n) => [n.name, { verdict: n.verdict, paths: pathsOf(n) }]));
}

const namesOf = (report: Report): string[] => report.nodes.map((n) => n.name).sort();

test('playbook: two controllers test their shards, the merged report has every node once with a single run\'s verdicts; faults fail the play', () => {
  const single = runTwoway(work, 'single', labInventoryOf(paths.inventory, work, WITH_FAULTS));
  assert.equal(single.code, 1, `faults found: exit 1 (stderr: ${single.stderr})`);

  const p = play('faults', WITH_FAULTS);
  assert.equal(p.code, 2, `the play failed (ansible-playbook exits 2 on a failed task):\n${p.stdout}`);
  assert.match(p.stdout, /twoway merge exited 1: faults found/);

  // Each controller ran its shard, and the two shards are the inventory split in two.
  assert.deepEqual(p.shards.ctl1.run.shard, { index: 1, count: 2 });
  assert.deepEqual(p.shards.ctl2.run.shard, { index: 2, count: 2 });
  assert.ok(p.shards.ctl1.nodes.length > 0 && p.shards.ctl2.nodes.length > 0, `both shards hold nodes: ${namesOf(p.shards.ctl1)} | ${namesOf(p.shards.ctl2)}`);
  assert.deepEqual([...namesOf(p.shards.ctl1), ...namesOf(p.shards.ctl2)].sort(), [...WITH_FAULTS].sort(), 'no node in both, none left out');
  assert.notEqual(p.shards.ctl1.run.id, p.shards.ctl2.run.id, 'two runs');

  assert.deepEqual(p.merged.nodes.map((n) => n.name).sort(), [...WITH_FAULTS].sort(), 'every node exactly once');
  assert.deepEqual(p.merged.run.merged?.map((m) => m.id).sort(), [p.shards.ctl1.run.id, p.shards.ctl2.run.id].sort());
  assert.deepEqual(verdictsOf(p.merged), verdictsOf(single.report), 'the verdicts of one controller testing every node');
  const expected = Object.fromEntries(LAB_SCENARIOS.filter((s) => WITH_FAULTS.includes(s.node)).map((s) => [s.node, s.expect.node]));
  assert.deepEqual(Object.fromEntries(p.merged.nodes.map((n) => [n.name, n.verdict])), expected, 'and the lab table\'s');
  const findings = (r: Report): string[] => r.findings.map((f) => `${f.scope} ${f.where} ${f.port} ${[...f.nodes].sort().join(',')}`).sort();
  assert.deepEqual(findings(p.merged), findings(single.report), 'the same fleet findings');
  assert.equal(p.merged.summary.failedNodes, single.report.summary.failedNodes);
});

test('playbook: healthy shards merge to exit 0 and the play passes', () => {
  const p = play('healthy', HEALTHY);
  assert.equal(p.code, 0, p.stdout);
  assert.deepEqual(namesOf(p.merged), [...HEALTHY].sort());
  assert.ok(p.merged.nodes.every((n) => n.verdict === 'ok'), JSON.stringify(verdictsOf(p.merged)));
  assert.ok(p.shards.ctl1.nodes.length > 0 && p.shards.ctl2.nodes.length > 0, 'both shards hold nodes');
});
