/**
 * An Ansible INI inventory of lab nodes runs as it is: `twoway run -i lab.ini --limit ...` gives the
 * same verdicts as the lab's own inventory for the same nodes. The INI says what an Ansible user
 * would (ansible_host, ansible_user, ansible_ssh_private_key_file, groups, children) plus the two
 * run-wide twoway settings the lab needs in [all:vars]: the controller's network namespace and the
 * lab's ssh_config (strict host keys against the lab's known_hosts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { LAB_SCENARIOS, labDown, labUp, type LabPaths } from '../../controller/lab/index.js';
import type { Report } from '../../src/report.js';
import { runTwoway } from './lab-run.js';

/** Fast scenarios with different verdicts, one of them dual-homed. */
const TESTED = ['healthy', 'reject', 'return-acl', 'dual'];
/** In the INI but left out by --limit. */
const LIMITED_OUT = 'slow';

interface LabInventory {
  controller: { netns: string };
  ssh_config: string;
  nodes: { name: string; address?: string; addresses?: string[] }[];
}

let work = '';
let paths: LabPaths;
let lab: LabInventory;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-ansible-'));
  paths = (await labUp()).paths;
  lab = parse(readFileSync(paths.inventory, 'utf8')) as LabInventory;
  lab.ssh_config = resolve(dirname(paths.inventory), lab.ssh_config);
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

function addressesOf(name: string): string[] {
  const n = lab.nodes.find((x) => x.name === name);
  assert.ok(n, `lab node ${name}`);
  return n.addresses ?? [n.address ?? ''];
}

function hostLine(name: string): string {
  const [first = '', ...more] = addressesOf(name);
  return `${name} ansible_host=${first}${more.length === 0 ? '' : ` twoway_addresses=${[first, ...more].join(',')}`}`;
}

function labIni(): string {
  return [
    '# The lab as an Ansible INI inventory.',
    '[callback_ok]',
    hostLine('healthy'),
    hostLine(LIMITED_OUT),
    '',
    '[callback_faults]',
    ...['reject', 'return-acl', 'dual'].map(hostLine),
    '',
    '[lab:children]',
    'callback_ok',
    'callback_faults',
    '',
    '[all:vars]',
    'ansible_user=root',
    `ansible_ssh_private_key_file=${paths.clientKey}`,
    `twoway_controller_netns=${lab.controller.netns}`,
    `twoway_ssh_config=${lab.ssh_config}`,
    '',
  ].join('\n');
}

function run(name: string, inventory: string, extra: string[] = []): Report {
  const r = runTwoway(work, name, inventory, extra);
  assert.equal(r.code, 1, `faults found: exit 1 (stderr: ${r.stderr})`);
  return r.report;
}

const verdicts = (report: Report): Record<string, string> => Object.fromEntries(report.nodes.map((n) => [n.name, n.verdict]));

test('an Ansible INI inventory of the lab gives the same verdicts as the lab\'s own inventory', () => {
  const ini = join(work, 'lab.ini');
  writeFileSync(ini, labIni());
  const own = join(work, 'own.yaml');
  writeFileSync(own, stringify({ ...lab, nodes: lab.nodes.filter((n) => TESTED.includes(n.name)) }));

  const fromIni = run('ini', ini, ['--limit', `lab:!${LIMITED_OUT}`]);
  const fromOwn = run('own', own);

  assert.deepEqual(fromIni.nodes.map((n) => n.name).sort(), [...TESTED].sort(), '--limit kept the lab group without the excluded node');
  assert.deepEqual(verdicts(fromIni), verdicts(fromOwn));
  const expected = Object.fromEntries(LAB_SCENARIOS.filter((s) => TESTED.includes(s.node)).map((s) => [s.node, s.expect.node]));
  assert.deepEqual(verdicts(fromIni), expected, 'and they are the verdicts the lab table expects');
  // The dual-homed node kept both addresses (twoway_addresses): a callback per NIC.
  const dual = fromIni.nodes.find((n) => n.name === 'dual');
  assert.deepEqual(dual?.addresses, addressesOf('dual'));
});
