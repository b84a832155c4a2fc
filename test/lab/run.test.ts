/**
 * `twoway run` end to end against the lab: real sshd, real agent, real kernel faults. Asserts each
 * scenario's verdict from the lab's table and the evidence that proves it. Needs root; CI runs it as
 * root, so it is never skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkLabReport } from '../../controller/lab/expectations.js';
import { LAB_FAULTS, LAB_SCENARIOS, labDown, labUp, setFault } from '../../controller/lab/index.js';
import { CTL_ADDRESS, RTR_CTL_ADDRESS, nodeAddress, subnet } from '../../controller/lab/plan.js';
import { LAB_IDLE_HOLD_SECONDS, SHARED_SUBNET } from '../../controller/lab/scenarios.js';
import type { NodeReport, PathReport, Report } from '../../src/report.js';
import { labInventoryOf } from './lab-inventory.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
let inventory = '';
let work = '';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-run-'));
  inventory = (await labUp()).paths.inventory;
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

function runAgainstLab(name: string, extra: string[] = [], inventoryFile = inventory): { code: number | null; report: Report; stdout: string } {
  const json = join(work, `${name}.json`);
  const r = spawnSync(process.execPath, [BIN, 'run', '--inventory', inventoryFile, '--json', json, '--quiet', ...extra], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(r.error, undefined, `twoway run did not finish: ${r.error?.message}`);
  return { code: r.status, report: JSON.parse(readFileSync(json, 'utf8')) as Report, stdout: r.stdout };
}

function node(report: Report, name: string): NodeReport {
  const n = report.nodes.find((x) => x.name === name);
  assert.ok(n, `node ${name} in the report`);
  return n;
}

function path(n: NodeReport, direction: PathReport['direction'], port: number, where?: string): PathReport {
  const p = n.paths.find((x) => x.direction === direction && x.port === port && (where === undefined || x.to === where || x.from === where));
  assert.ok(p, `${n.name}: ${direction} path to port ${port}${where === undefined ? '' : ` at ${where}`}`);
  return p;
}

function inventoryOf(names: readonly string[]): string {
  return labInventoryOf(inventory, work, names);
}

test('lab run: every scenario gets its verdict, with the evidence that proves it', () => {
  const { code, report, stdout } = runAgainstLab('scenarios', ['--idle-hold', String(LAB_IDLE_HOLD_SECONDS)]);
  assert.equal(code, 1, 'faults found: exit 1');
  assert.match(stdout, /^NODE\s+VERDICT/m);

  const failed = checkLabReport(report, LAB_SCENARIOS).filter((c) => !c.ok);
  assert.deepEqual(failed, [], 'scenarios diagnosed as the lab table expects');

  const healthy = node(report, 'healthy');
  assert.equal(healthy.agent?.flavour, 'node');
  assert.deepEqual(healthy.callbackAddresses, [CTL_ADDRESS]);
  assert.ok(healthy.paths.every((p) => p.verdict === 'ok'));
  assert.deepEqual(path(healthy, 'callback', 63001).evidence.seen, { address: nodeAddress(1), port: (path(healthy, 'callback', 63001).evidence.seen as { port: number }).port });

  // ESXi-style egress: the callback never reached the listener, while 443 forward is open.
  const esxi = node(report, 'esxi-egress');
  assert.equal(path(esxi, 'callback', 63001).evidence.ledgerSawRequest, false);
  assert.equal(path(esxi, 'forward', 443).verdict, 'ok');

  // ESXi-style egress: 80/443 passed where 63001/63002 did not, so the fixes are the rule file and the port change.
  assert.deepEqual(path(esxi, 'callback', 63001).evidence.alternates, [
    { proto: 'http', port: 80, outcome: 'ok' },
    { proto: 'https', port: 443, outcome: 'ok' },
  ]);
  const esxiFixes = (esxi.remedies ?? []).flatMap((r) => r.lines).join('\n');
  assert.match(esxiFixes, /<port>63001<\/port>[\s\S]*<port>63002<\/port>[\s\S]*esxcli network firewall refresh/);
  assert.match(esxiFixes, /--port 80 --ssl-port 443\nport=80\nssl_port=443/);

  // MTU black hole: small answers pass, the 64 KiB download stalls; the listener did send it.
  const mtuNode = node(report, 'mtu');
  const mtu = path(mtuNode, 'callback', 63001);
  assert.equal(mtu.evidence.largestPassingDownload, 1024);
  assert.equal(typeof mtu.evidence.stallAt, 'number');
  assert.ok((mtu.evidence.listenerBytesWritten as number) > (mtu.evidence.stallAt as number));
  // The small MTU is on the router's side toward the node: full-size packets from the node still pass.
  assert.equal(mtu.evidence.largestPassingUpload, 1024 * 1024);
  assert.match(mtu.summary, /every upload passed, so only the direction toward the node is affected/);
  assert.match((mtuNode.remedies ?? []).flatMap((r) => r.lines).join('\n'), /fragmentation-needed[\s\S]*clamp-mss-to-pmtu/);

  // A one-way ACL drops the controller's SYN-ACKs: the controller saw the SYN half-open, the listener nothing.
  assert.equal(report.run.halfOpenSampled, true);
  const acl = path(node(report, 'return-acl'), 'callback', 63001);
  assert.equal(acl.evidence.ledgerSawRequest, false);
  assert.deepEqual((acl.evidence.controllerHalfOpen as { remote: string; port: number }).remote, nodeAddress(13));

  // Idle: the hold worked when opened, and after the quiet time neither direction got through.
  const idle = path(node(report, 'idle'), 'callback', 63001);
  assert.equal(idle.evidence.push, false);
  assert.equal(idle.evidence.pong, false);
  assert.ok((idle.evidence.idleMs as number) >= LAB_IDLE_HOLD_SECONDS * 1000);
  const healthyHold = path(healthy, 'callback', 63001).evidence.idleHoldMs as number;
  assert.ok(healthyHold >= LAB_IDLE_HOLD_SECONDS * 1000 && healthyHold < (LAB_IDLE_HOLD_SECONDS + 1) * 1000, `the healthy node held the channel just as long (${healthyHold} ms)`);

  // SNAT: the controller saw the router's address.
  const snat = path(node(report, 'snat'), 'callback', 63001);
  assert.equal((snat.evidence.seen as { address: string }).address, RTR_CTL_ADDRESS);
  assert.equal(snat.evidence.nodeSource, nodeAddress(7));

  // Dual-homed: callbacks from the production NIC work, from the management NIC they are dropped
  // (they leave by the production route and meet rp_filter); the SYN to the management address
  // arrived (half-open on the node) but its answer left by the other NIC.
  const dual = node(report, 'dual');
  assert.equal(path(dual, 'callback', 63001, nodeAddress(5)).verdict, 'ok');
  assert.equal(path(dual, 'callback', 63001, nodeAddress(4)).verdict, 'blocked');
  assert.deepEqual(dual.nics?.map((n) => [n.address, n.reaches]), [
    [nodeAddress(5), [CTL_ADDRESS]],
    [nodeAddress(4), []],
  ]);
  assert.equal(path(dual, 'forward', 22, nodeAddress(5)).verdict, 'ok');
  const mgmt = path(dual, 'forward', 22, nodeAddress(4));
  assert.equal(mgmt.verdict, 'return-path-lost');
  assert.equal((mgmt.evidence.nodeHalfOpen as { remote: { address: string } }).remote.address, CTL_ADDRESS);
  assert.ok(dual.remedies?.some((r) => r.lines.includes(`ip rule add from ${nodeAddress(4)} lookup 100`)));

  // Slow: measured throughput under the threshold, and what it means for a 1 GiB bundle.
  const slow = path(node(report, 'slow'), 'callback', 63001);
  assert.ok((slow.evidence.throughputMbps as number) < 10);
  assert.ok((slow.evidence.firmwareEstimateSec as number) > 60 * 10);
  assert.match(slow.summary, /a 1 GiB firmware bundle would take about/);
  assert.deepEqual(report.findings, [], 'no cause shared by several nodes here');

  assert.match(String(node(report, 'sshd-stopped').nodeEvidence?.stderr), /Connection refused/);
  assert.match(String(node(report, 'nohost').nodeEvidence?.stderr), /No route to host|timed out/);
  assert.equal(report.run.strayRequests, 0);
  // The listener's own view per peer: the healthy node's connections carried requests; of the
  // ESXi-style node's, only the two alternate-port hellos (80, 443) reached the listener.
  const peer = report.run.listenerPeers[nodeAddress(1)];
  assert.ok(peer !== undefined && peer.accepted > 0 && peer.withRequest > 0);
  assert.deepEqual(report.run.listenerPeers[nodeAddress(2)], { accepted: 2, withRequest: 2 });
});

test('lab run: with the controller\'s own firewall closed, every node that calls back is blocked the same way, and it is told once', async () => {
  const fault = LAB_FAULTS.find((f) => f.name === 'controller-ingress');
  assert.ok(fault);
  await setFault(fault.name, true);
  try {
    const { code, report, stdout } = runAgainstLab('controller-ingress');
    assert.equal(code, 1);
    assert.deepEqual(checkLabReport(report, LAB_SCENARIOS, fault).filter((c) => !c.ok), []);
    for (const name of ['healthy', 'snat', 'slow']) {
      const cb = path(node(report, name), 'callback', 63001);
      assert.equal(cb.verdict, 'blocked');
      assert.equal(cb.evidence.ledgerSawRequest, false);
    }
    assert.deepEqual(report.findings.map((f) => [f.scope, f.where, f.port]), [
      ['controller', CTL_ADDRESS, 63001],
      ['controller', CTL_ADDRESS, 63002],
    ]);
    assert.ok(report.findings[0]!.nodes.includes('healthy') && report.findings[0]!.nodes.includes('web1'));
    assert.ok(report.findings[1]!.remedies[0]!.lines.includes('iptables -I INPUT -p tcp -m multiport --dports 63001:63002 -j ACCEPT'));
    assert.equal(node(report, 'healthy').remedies, undefined, 'no per-node fix for what the controller causes');
    assert.match(stdout, /^Fleet\n! controller {2}every node \(\d+\) fails callbacks to 10\.231\.0\.1:63001 \(blocked\)/m);
  } finally {
    await setFault(fault.name, false);
  }
});

test('lab run: a subnet whose callbacks are dropped on the way is named as one finding', async () => {
  const fault = LAB_FAULTS.find((f) => f.name === 'subnet-egress');
  assert.ok(fault);
  await setFault(fault.name, true);
  try {
    const { code, report } = runAgainstLab('subnet-egress', [], inventoryOf(['healthy', 'web1', 'web2', 'snat']));
    assert.equal(code, 1);
    assert.deepEqual(
      report.findings.map((f) => [f.scope, f.where, f.port, f.nodes]),
      [
        ['subnet', subnet(SHARED_SUBNET), 63001, ['web1', 'web2']],
        ['subnet', subnet(SHARED_SUBNET), 63002, ['web1', 'web2']],
      ],
    );
    assert.equal(node(report, 'healthy').verdict, 'ok');
  } finally {
    await setFault(fault.name, false);
  }
});

test('lab run: an hpsum.ini with port=80 and ssl_port=443 makes the run use those ports', () => {
  const ini = join(work, 'hpsum.ini');
  writeFileSync(ini, '[General]\nport=80\nssl_port=443\n');
  const { code, report } = runAgainstLab('hpsum-ini', ['--hpsum-ini', ini], inventoryOf(['healthy']));
  assert.equal(code, 0);
  assert.equal(report.run.settings.httpPort, 80);
  assert.equal(report.run.settings.httpsPort, 443);
  assert.deepEqual(report.run.controller.listeners.map((l) => [l.proto, l.port]), [['http', 80], ['https', 443]]);
  assert.deepEqual(node(report, 'healthy').paths.filter((p) => p.direction === 'callback').map((p) => [p.port, p.verdict]), [[80, 'ok'], [443, 'ok']]);
});

test('lab run: a healthy fleet raises no false alarm in ten runs', () => {
  const fleet = inventoryOf(['healthy', 'web1', 'web2']);
  const alarms: string[] = [];
  for (let i = 0; i < 10; i++) {
    const { code, report } = runAgainstLab(`healthy-${i}`, [], fleet);
    if (code !== 0) alarms.push(`run ${i + 1}: exit ${code}: ${report.nodes.flatMap((n) => n.paths.filter((p) => p.verdict !== 'ok').map((p) => `${n.name} ${p.port} ${p.verdict}: ${p.summary}`)).join('; ')}`);
  }
  assert.deepEqual(alarms, []);
});
