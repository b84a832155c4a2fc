/**
 * FTP end to end against the lab: the `switch` node (ftp: true in the inventory) sits behind a router
 * that passes FTP control and drops the passive data range. Needs root (the listener binds 21 in the
 * controller's namespace); CI runs it as root.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkLabReport, expectedUnderFault } from '../../controller/lab/expectations.js';
import { LAB_FAULTS, LAB_SCENARIOS, labDown, labUp } from '../../controller/lab/index.js';
import { CTL_ADDRESS, nodeAddress } from '../../controller/lab/plan.js';
import { LAB_FTP_DATA_PORTS } from '../../controller/lab/scenarios.js';
import { renderInventory } from '../../controller/lab/state.js';
import type { NodeReport, PathReport, Report } from '../../src/report.js';
import { evidenceOf } from '../helpers/evidence.js';
import { labInventoryOf } from './lab-inventory.js';
import { runTwoway } from './lab-run.js';

const SWITCH = nodeAddress(15);
let inventory = '';
let work = '';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-ftp-'));
  inventory = (await labUp()).paths.inventory;
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

function inventoryOf(names: readonly string[]): string {
  return labInventoryOf(inventory, work, names);
}

function run(name: string, inventoryFile: string, extra: string[] = []): { code: number | null; report: Report } {
  return runTwoway(work, name, inventoryFile, extra);
}

function node(report: Report, name: string): NodeReport {
  const n = report.nodes.find((x) => x.name === name);
  assert.ok(n, name);
  return n;
}

function ftpPath(n: NodeReport, proto: 'ftp' | 'ftp-data'): PathReport {
  const p = n.paths.find((x) => x.proto === proto);
  assert.ok(p, `${n.name}: an ${proto} path`);
  return p;
}

test('lab ftp: the switch\'s inventory entry turns FTP on; faults on the web callback ports leave its FTP verdicts alone', () => {
  assert.match(renderInventory(LAB_SCENARIOS), /\n {2}- name: switch\n {4}address: 10\.231\.15\.2\n {4}ftp: true\n/);
  const sw = LAB_SCENARIOS.find((s) => s.node === 'switch');
  assert.ok(sw);
  const ingress = LAB_FAULTS.find((f) => f.name === 'controller-ingress');
  assert.ok(ingress);
  assert.deepEqual(
    expectedUnderFault(sw, ingress).paths.map((p) => `${p.proto ?? '-'} ${p.port} ${p.verdict}`),
    ['- 63001 blocked', '- 63002 blocked', 'ftp 21 ok', `ftp-data ${LAB_FTP_DATA_PORTS.first} blocked`],
  );
});

test('lab ftp: a router passing 21 and dropping 63006-63010: FTP control ok, FTP data blocked, the web callbacks ok', () => {
  const { code, report } = run('switch', inventoryOf(['switch', 'healthy']));
  assert.equal(code, 1);
  assert.deepEqual(checkLabReport(report, LAB_SCENARIOS.filter((s) => s.node === 'switch' || s.node === 'healthy')).filter((c) => !c.ok), []);
  assert.deepEqual(report.run.settings.ftp, { controlPort: 21, dataPorts: { ...LAB_FTP_DATA_PORTS } });

  const sw = node(report, 'switch');
  const control = ftpPath(sw, 'ftp');
  const data = ftpPath(sw, 'ftp-data');
  assert.deepEqual([control.from, control.to, control.port, control.verdict], [SWITCH, CTL_ADDRESS, 21, 'ok']);
  assert.equal(data.verdict, 'blocked');
  assert.ok(data.port >= LAB_FTP_DATA_PORTS.first && data.port <= LAB_FTP_DATA_PORTS.last, `passive port ${data.port} from the range`);
  assert.match(data.summary, /a firewall passes 21 but not the passive range 63006-63010/);
  // The controller's side: the login and the PASV are in the ledger, no data connection ever arrived.
  const evidence = evidenceOf(data, 'ftp-data');
  assert.equal(evidence.ledgerSawLogin, true);
  assert.equal(evidence.listenerPasvPort, data.port);
  assert.equal(evidence.listenerDataPeer, undefined);
  assert.equal(evidence.controllerHalfOpen, undefined);
  const fixes = (sw.remedies ?? []).flatMap((r) => r.lines);
  assert.ok(fixes.includes(`iptables -I FORWARD -s ${SWITCH} -d ${CTL_ADDRESS} -p tcp --dport 63006:63010 -j ACCEPT`), fixes.join('\n'));

  assert.equal(node(report, 'healthy').paths.some((p) => p.proto === 'ftp' || p.proto === 'ftp-data'), false, 'FTP only where the inventory asks for it');
  assert.equal(report.run.strayRequests, 0);
});

test('lab ftp: --ftp turns it on for every node and --ftp-port moves the control port', () => {
  const { code, report } = run('ftp-all', inventoryOf(['switch', 'healthy']), ['--ftp', '--ftp-port', '2121']);
  assert.equal(code, 1);
  assert.equal(report.run.settings.ftp?.controlPort, 2121);
  const healthy = node(report, 'healthy');
  assert.deepEqual([ftpPath(healthy, 'ftp').port, ftpPath(healthy, 'ftp').verdict, ftpPath(healthy, 'ftp-data').verdict], [2121, 'ok', 'ok']);
  assert.equal(healthy.verdict, 'ok');
  const sw = node(report, 'switch');
  assert.deepEqual([ftpPath(sw, 'ftp').port, ftpPath(sw, 'ftp').verdict, ftpPath(sw, 'ftp-data').verdict], [2121, 'ok', 'blocked']);
});
