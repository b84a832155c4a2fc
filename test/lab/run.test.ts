/**
 * `twoway run` end to end against the lab: real sshd, real agent, real kernel faults. Asserts each
 * scenario's verdict from the lab's table and the evidence that proves it. Needs root; CI runs it as
 * root, so it is never skipped.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { NO_RUNTIME_EXIT } from '../../controller/agents/detect.js';
import { checkLabReport } from '../../controller/lab/expectations.js';
import { LAB_FAULTS, type LabParams, type LabScenario, labDown, labScenarios, labUp, setFault } from '../../controller/lab/index.js';
import { describeLabParams, labIdleHoldSeconds } from '../../controller/lab/params.js';
import { compareVerdicts, renderComparison } from '../../controller/lab/repeat.js';
import { CALLBACK_PORTS, CTL_ADDRESS, RTR_CTL_ADDRESS, nodeAddress, subnet } from '../../controller/lab/plan.js';
import { SHARED_SUBNET } from '../../controller/lab/scenarios.js';
import type { ProbeResult } from '../../src/protocol.js';
import type { NodeReport, PathReport, Report } from '../../src/report.js';
import { sizeLabel } from '../../src/size-label.js';
import { evidenceOf, sessionEvidenceOf } from '../helpers/evidence.js';
import { labInventoryOf } from './lab-inventory.js';
import { type LabRun, runTwoway } from './lab-run.js';

let inventory = '';
let work = '';
/** The fault values this lab was built with (TWOWAY_LAB_SEED picks them), and the scenarios they make. */
let params: LabParams;
let scenarios: readonly LabScenario[] = [];
/** How the whole lab is run, here and in the repeat run that compares with it: an idle hold past the drawn idle timeout. */
let wholeLab: string[] = [];
let holdSeconds = 0;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-run-'));
  const up = await labUp();
  inventory = up.paths.inventory;
  params = up.params;
  scenarios = labScenarios(params);
  holdSeconds = labIdleHoldSeconds(params);
  wholeLab = ['--idle-hold', String(holdSeconds)];
  process.stdout.write(`# lab parameters: ${describeLabParams(params)}\n`);
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

function runAgainstLab(name: string, extra: string[] = [], inventoryFile = inventory): LabRun {
  return runTwoway(work, name, inventoryFile, extra);
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

/** The first test's whole-lab report, so the repeat test needs only one more run. */
let wholeLabReport: Report | undefined;

test('lab run: every scenario gets its verdict, with the evidence that proves it', () => {
  const run = runAgainstLab('scenarios', wholeLab);
  const { code, report, stdout } = run;
  wholeLabReport = report;
  assert.equal(code, 1, 'faults found: exit 1');
  assert.match(stdout, /^NODE\s+VERDICT/m);

  const failed = checkLabReport(report, scenarios).filter((c) => !c.ok);
  assert.deepEqual(failed, [], 'scenarios diagnosed as the lab table expects');

  const healthy = node(report, 'healthy');
  assert.equal(healthy.agent?.flavour, 'node');
  assert.deepEqual(healthy.callbackAddresses, [CTL_ADDRESS]);
  // SSH only on the node: forward 443 is closed (information), everything else ok, and the node ok.
  assert.deepEqual(healthy.paths.filter((p) => p.verdict !== 'ok').map((p) => `${p.direction} ${p.port} ${p.verdict}`), ['forward 443 closed']);
  const closed443 = healthy.paths.find((p) => p.direction === 'forward' && p.port === 443)!;
  assert.match(closed443.summary, /nothing listens on it on the node/);
  assert.equal(healthy.verdict, 'ok');
  // No NAT on the healthy path: the controller saw the very address and port the agent connected from.
  const hellos = run.agentEvents('healthy').filter((e): e is ProbeResult => e.t === 'probe' && e.id.startsWith('hello-http-'));
  assert.equal(hellos.length, 1, 'one plain-HTTP hello from the healthy node');
  const { local, seen } = hellos[0]!;
  assert.ok(local !== undefined && seen !== undefined, 'the hello reports both ends');
  assert.equal(local.address, nodeAddress(1));
  assert.deepEqual(seen, local);
  assert.deepEqual(evidenceOf(path(healthy, 'callback', 63001), 'measured').seen, seen, 'the report keeps what the controller saw');

  // The node's own firewall answers the callback SYN with a reset: the agent's connect is refused at once.
  const reject = node(report, 'reject');
  for (const port of CALLBACK_PORTS) {
    const evidence = evidenceOf(path(reject, 'callback', port), 'probe');
    assert.deepEqual(
      [evidence.outcome, evidence.phase, evidence.error?.code, evidence.ledgerSawRequest],
      ['refused', 'connect', 'ECONNREFUSED', false],
      `reject, port ${port}`,
    );
  }

  // ESXi-style egress: the callback never reached the listener, while forward 443 reaches the node
  // (closed: its reset leaves as an answer to an inbound connection, which the egress filter passes).
  const esxi = node(report, 'esxi-egress');
  assert.equal(evidenceOf(path(esxi, 'callback', 63001), 'probe').ledgerSawRequest, false);
  assert.equal(path(esxi, 'forward', 443).verdict, 'closed');

  // ESXi-style egress: 80/443 passed where 63001/63002 did not, so the fixes are the rule file and the port change.
  assert.deepEqual(evidenceOf(path(esxi, 'callback', 63001), 'probe').alternates, [
    { proto: 'http', port: 80, outcome: 'ok' },
    { proto: 'https', port: 443, outcome: 'ok' },
  ]);
  const esxiFixes = (esxi.remedies ?? []).flatMap((r) => r.lines).join('\n');
  assert.match(esxiFixes, /<port>63001<\/port>[\s\S]*<port>63002<\/port>[\s\S]*esxcli network firewall refresh/);
  assert.match(esxiFixes, /--port 80 --ssl-port 443\nport=80\nssl_port=443/);

  // MTU black hole. The router's side of the link has a small MTU and drops the frag-needed it would
  // send, so a packet toward the node carries at most MTU - 40 bytes (IP and TCP headers) of payload
  // and nothing larger ever arrives. A download whose answer fits one such packet passes; the next
  // size of the ladder stalls, having delivered less than one such packet of its body (the listener
  // hands the kernel the body in writes far above the node's MSS, so body segments are full-size).
  const mtuNode = node(report, 'mtu');
  const mtu = path(mtuNode, 'callback', 63001);
  const boundary = evidenceOf(mtu, 'size-boundary');
  const linkMtu = scenarios.find((s) => s.node === 'mtu')?.links[0]?.routerMtu;
  assert.equal(linkMtu, params.mtu);
  const packetPayload = linkMtu - 40;
  const sizes = report.run.settings.sizes;
  const firstTooLarge = sizes.find((size) => size > packetPayload);
  assert.ok(firstTooLarge !== undefined, `the ladder ${sizes.join(',')} has a size above ${packetPayload}`);
  assert.equal(boundary.largestPassingDownload, Math.max(...sizes.filter((size) => size <= packetPayload)));
  const stalled = new RegExp(`^download of ${sizeLabel(firstTooLarge)} stalled at byte (\\d+) `).exec(mtu.summary);
  assert.ok(stalled, `the first stuck transfer is the ${sizeLabel(firstTooLarge)} download: ${mtu.summary}`);
  const stallAt = boundary.stallAt;
  assert.equal(Number(stalled[1]), stallAt);
  assert.ok(stallAt >= 0 && stallAt < packetPayload, `stalled at byte ${stallAt}: less than one ${linkMtu}-byte packet of the body can arrive`);
  assert.ok(boundary.listenerBytesWritten > packetPayload, 'the listener sent more than one packet can carry: the loss is on the path');
  // The small MTU is on the router's side toward the node: full-size packets from the node still pass.
  assert.equal(boundary.largestPassingUpload, 1024 * 1024);
  assert.match(mtu.summary, /every upload passed, so only the direction toward the node is affected/);
  assert.match((mtuNode.remedies ?? []).flatMap((r) => r.lines).join('\n'), /fragmentation-needed[\s\S]*clamp-mss-to-pmtu/);

  // A one-way ACL drops the controller's SYN-ACKs: the controller saw the SYN half-open, the listener nothing.
  assert.equal(report.run.halfOpenSampled, true);
  const acl = evidenceOf(path(node(report, 'return-acl'), 'callback', 63001), 'probe');
  assert.equal(acl.ledgerSawRequest, false);
  assert.deepEqual(acl.controllerHalfOpen?.remote, nodeAddress(13));

  // Idle: the hold worked when opened, and after the quiet time neither direction got through.
  const idle = evidenceOf(path(node(report, 'idle'), 'callback', 63001), 'idle-cut');
  assert.equal(idle.push, false);
  assert.equal(idle.pong, false);
  assert.ok(idle.idleMs >= holdSeconds * 1000);
  const healthyHold = evidenceOf(path(healthy, 'callback', 63001), 'measured').idleHoldMs ?? 0;
  assert.ok(healthyHold >= holdSeconds * 1000 && healthyHold < (holdSeconds + 1) * 1000, `the healthy node held the channel just as long (${healthyHold} ms)`);

  // SNAT: the controller saw the router's address.
  const snat = evidenceOf(path(node(report, 'snat'), 'callback', 63001), 'source-mismatch');
  assert.equal(snat.seen.address, RTR_CTL_ADDRESS);
  assert.equal(snat.nodeSource, nodeAddress(7));

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
  assert.equal(evidenceOf(mgmt, 'forward').nodeHalfOpen?.remote.address, CTL_ADDRESS);
  assert.ok(dual.remedies?.some((r) => r.lines.includes(`ip rule add from ${nodeAddress(4)} lookup 100`)));

  // Slow: measured throughput under the threshold, and what it means for a 1 GiB bundle.
  const slow = path(node(report, 'slow'), 'callback', 63001);
  // Slow either way: every transfer finished under the threshold, or the probe deadline came while bytes still flowed.
  const rate = slow.evidence.kind === 'measured' ? slow.evidence : evidenceOf(slow, 'probe');
  assert.ok((rate.throughputMbps ?? Infinity) < 10);
  assert.ok((rate.firmwareEstimateSec ?? 0) > 60 * 10);
  assert.match(slow.summary, /a 1 GiB firmware bundle would take about/);
  assert.deepEqual(report.findings, [], 'no cause shared by several nodes here');

  // SSH failures, each in ssh's own words. sshd-stopped: the node's kernel answers the SYN with a reset.
  assert.equal(sessionEvidenceOf(node(report, 'sshd-stopped')).stderr, `ssh: connect to host ${nodeAddress(9)} port 22: Connection refused`);
  // ssh-dropped: the node drops SYNs to 22 and ssh's own ConnectTimeout ends it (not the run's deadline);
  // the forward probe of 22 times out too, while 443 on the same host answers with a reset. No agent ran,
  // so whether 443 is closed or reset by a firewall is not measured (never guessed benign).
  const dropped = node(report, 'ssh-dropped');
  const droppedSession = sessionEvidenceOf(dropped);
  assert.deepEqual(
    [droppedSession.exitCode, droppedSession.timedOut, droppedSession.stderr],
    [255, false, `ssh: connect to host ${nodeAddress(10)} port 22: Connection timed out`],
  );
  const droppedSsh = path(dropped, 'forward', 22);
  assert.deepEqual([droppedSsh.verdict, evidenceOf(droppedSsh, 'forward').outcome], ['blocked', 'timeout']);
  const dropped443 = path(dropped, 'forward', 443);
  assert.deepEqual([dropped443.verdict, evidenceOf(dropped443, 'forward').outcome], ['not-measured', 'refused']);
  // nohost: nobody answers ARP for the address, so the router returns host unreachable within ssh's
  // connect timeout. (Not pinned: the forward probes, whose 3 s deadline races the kernel's 3 s of ARP.)
  const noHost = sessionEvidenceOf(node(report, 'nohost'));
  assert.deepEqual([noHost.exitCode, noHost.stderr], [255, `ssh: connect to host ${nodeAddress(11)} port 22: No route to host`]);
  // noruntime: SSH works, and the runtime detection on the node found none of the agent runtimes
  // and said which it looked for; no agent ran.
  const noRuntime = node(report, 'noruntime');
  assert.deepEqual(
    [noRuntime.nodeEvidence?.exitCode, noRuntime.nodeEvidence?.stderr],
    [NO_RUNTIME_EXIT, 'twoway: no agent runtime on PATH (looked for node >= 12, python3 >= 3.6, curl, wget, nc)'],
  );
  assert.equal(noRuntime.agent, undefined);
  assert.deepEqual(run.agentEvents('noruntime'), []);
  assert.equal(path(noRuntime, 'forward', 22).verdict, 'ok');
  assert.equal(report.run.strayRequests, 0);
  // The listener's own view per peer: the healthy node's connections carried requests; of the
  // ESXi-style node's, only the two alternate-port hellos (80, 443) reached the listener.
  const peer = report.run.listenerPeers[nodeAddress(1)];
  assert.ok(peer !== undefined && peer.accepted > 0 && peer.withRequest > 0);
  assert.deepEqual(report.run.listenerPeers[nodeAddress(2)], { accepted: 2, withRequest: 2 });
});

test('lab run: the whole lab run twice in a row gives every node and path the same verdict', () => {
  const first = wholeLabReport ?? runAgainstLab('scenarios-first', wholeLab).report;
  const second = runAgainstLab('scenarios-again', wholeLab).report;
  // The demo's own comparison (--repeat): node verdicts, and each path keyed as twoway diff keys it.
  const comparison = compareVerdicts(first, second);
  assert.deepEqual(comparison.differences, [], renderComparison(2, 2, comparison));
  assert.equal(comparison.nodes, scenarios.length);
  assert.ok(comparison.paths > comparison.nodes, `paths were compared, not only nodes: ${comparison.paths}`);
  assert.deepEqual(
    first.nodes.map((n) => [n.name, n.verdict]),
    second.nodes.map((n) => [n.name, n.verdict]),
    'each node\'s overall verdict too',
  );
});

test('lab run: with the controller\'s own firewall closed, every node that calls back is blocked the same way, and it is told once', async () => {
  const fault = LAB_FAULTS.find((f) => f.name === 'controller-ingress');
  assert.ok(fault);
  await setFault(fault.name, true);
  try {
    const { code, report, stdout } = runAgainstLab('controller-ingress');
    assert.equal(code, 1);
    assert.deepEqual(checkLabReport(report, scenarios, fault).filter((c) => !c.ok), []);
    for (const name of ['healthy', 'snat', 'slow']) {
      const cb = path(node(report, name), 'callback', 63001);
      assert.equal(cb.verdict, 'blocked');
      assert.equal(evidenceOf(cb, 'probe').ledgerSawRequest, false);
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
