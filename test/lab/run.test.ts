/**
 * `twoway run` end to end against the lab: real sshd, real agent, real kernel faults. Asserts each
 * scenario's verdict from the lab's table and the evidence that proves it. Needs root; CI runs it as
 * root, so it is never skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkLabReport } from '../../controller/lab/expectations.js';
import { LAB_FAULTS, LAB_SCENARIOS, labDown, labUp, setFault } from '../../controller/lab/index.js';
import { CTL_ADDRESS, RTR_CTL_ADDRESS, nodeAddress } from '../../controller/lab/plan.js';
import type { NodeReport, PathReport, Report } from '../../src/report.js';

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

function runAgainstLab(name: string): { code: number | null; report: Report; stdout: string } {
  const json = join(work, `${name}.json`);
  const r = spawnSync(process.execPath, [BIN, 'run', '--inventory', inventory, '--json', json, '--quiet'], {
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

test('lab run: every scenario gets its verdict, with the evidence that proves it', () => {
  const { code, report, stdout } = runAgainstLab('scenarios');
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

  // MTU black hole: small answers pass, the 64 KiB download stalls; the listener did send it.
  const mtu = path(node(report, 'mtu'), 'callback', 63001);
  assert.equal(mtu.evidence.largestPassing, 1024);
  assert.equal(typeof mtu.evidence.stallAt, 'number');
  assert.ok((mtu.evidence.listenerBytesWritten as number) > (mtu.evidence.stallAt as number));

  // SNAT: the controller saw the router's address.
  const snat = path(node(report, 'snat'), 'callback', 63001);
  assert.equal((snat.evidence.seen as { address: string }).address, RTR_CTL_ADDRESS);
  assert.equal(snat.evidence.nodeSource, nodeAddress(7));

  // Dual-homed: callbacks from the production NIC work; the SYN to the management address arrived
  // (half-open on the node) but its answer left by the other NIC and was dropped.
  const dual = node(report, 'dual');
  assert.equal(path(dual, 'callback', 63001).verdict, 'ok');
  assert.equal(path(dual, 'forward', 22, nodeAddress(5)).verdict, 'ok');
  const mgmt = path(dual, 'forward', 22, nodeAddress(4));
  assert.equal(mgmt.verdict, 'return-path-lost');
  assert.equal((mgmt.evidence.nodeHalfOpen as { remote: { address: string } }).remote.address, CTL_ADDRESS);

  // Slow: measured throughput under the threshold.
  assert.ok((path(node(report, 'slow'), 'callback', 63001).evidence.throughputMbps as number) < 10);

  assert.match(String(node(report, 'sshd-stopped').nodeEvidence?.stderr), /Connection refused/);
  assert.match(String(node(report, 'nohost').nodeEvidence?.stderr), /No route to host|timed out/);
  assert.equal(report.run.strayRequests, 0);
  // The listener's own view per peer: the healthy node's connections carried requests; the
  // ESXi-style node's never reached the listener at all.
  const peer = report.run.listenerPeers[nodeAddress(1)];
  assert.ok(peer !== undefined && peer.accepted > 0 && peer.withRequest > 0);
  assert.equal(report.run.listenerPeers[nodeAddress(2)], undefined);
});

test('lab run: with the controller\'s own firewall closed, every node that calls back is blocked the same way', async () => {
  const fault = LAB_FAULTS.find((f) => f.name === 'controller-ingress');
  assert.ok(fault);
  await setFault(fault.name, true);
  try {
    const { code, report } = runAgainstLab('controller-ingress');
    assert.equal(code, 1);
    assert.deepEqual(checkLabReport(report, LAB_SCENARIOS, fault).filter((c) => !c.ok), []);
    for (const name of ['healthy', 'snat', 'slow']) {
      const cb = path(node(report, name), 'callback', 63001);
      assert.equal(cb.verdict, 'blocked');
      assert.equal(cb.evidence.ledgerSawRequest, false);
    }
  } finally {
    await setFault(fault.name, false);
  }
});
