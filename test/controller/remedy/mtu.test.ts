/** The MTU fixes carry the path MTU measured on this run, or say it was not measured and how to measure it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { remediesForNode } from '../../../controller/remedy/node.js';
import type { PathMtuMeasurement } from '../../../src/evidence.js';
import { NO_HINTS } from '../../../src/profiles.js';
import type { Remedy } from '../../../src/report.js';
import { NODE_ADDR, evidence } from '../../helpers/diagnose-input.js';

const PORTS = { httpPort: 63001, httpsPort: 63002, hints: NO_HINTS };
const none = (): boolean => false;
const STALLED = { 'dl-http-0-65536': { outcome: 'stalled' as const, phase: 'body' as const, bytes: 1448 }, 'dl-http-0-1048576': { outcome: 'stalled' as const, phase: 'body' as const, bytes: 0 } };

function fixesWith(pathMtu?: PathMtuMeasurement[]): Remedy[] {
  return remediesForNode(diagnoseNode(evidence(STALLED, pathMtu === undefined ? {} : { pathMtu })), PORTS, none);
}
const textOf = (remedies: Remedy[]): string => remedies.flatMap((r) => [r.title, ...r.lines]).join('\n');

test('mtu fixes: a measured path MTU is in the frag-needed advice, the MSS clamp (MTU less 40) and the interface MTU', () => {
  const measured: PathMtuMeasurement = { from: 'controller', to: NODE_ADDR, measured: true, mtu: 1372, interfaceMtu: 1500, probes: [], command: 'ping' };
  const remedies = fixesWith([measured]);
  assert.match(remedies[0]!.title, /the path MTU is 1372 \(measured from the controller to 10\.9\.1\.2 with DF-set ICMP echoes\), below the interface's 1500/);
  assert.match(remedies[0]!.title, /largest download that passed: 1 KiB; the stall came at byte 1448/);
  const lines = remedies.flatMap((r) => r.lines);
  assert.ok(lines.includes('iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1332   # path MTU 1372, measured'), lines.join('\n'));
  assert.ok(lines.includes('nft add rule inet filter forward tcp flags syn tcp option maxseg size set 1332   # path MTU 1372, measured'));
  assert.ok(lines.includes('ip link set dev <iface> mtu 1372   # the path MTU, measured'));
  assert.doesNotMatch(textOf(remedies), /1400/, 'no constant beside the measurement');
});

test('mtu fixes: not measured, the fixes say so, print no figure and give the ping bisection to run by hand', () => {
  const unmeasured: PathMtuMeasurement = { from: 'controller', to: NODE_ADDR, measured: false, reason: 'ping (iputils-ping) is not installed on the controller', probes: [], command: 'ping' };
  for (const pathMtu of [[unmeasured], undefined]) {
    const remedies = fixesWith(pathMtu);
    const text = textOf(remedies);
    assert.match(remedies[0]!.title, /the path MTU was not measured: /);
    if (pathMtu !== undefined) assert.match(remedies[0]!.title, /ping \(iputils-ping\) is not installed on the controller/);
    assert.ok(remedies.flatMap((r) => r.lines).includes('ip link set dev <iface> mtu <path MTU>   # not measured: run the bisection below first'));
    assert.doesNotMatch(text, /mtu \d|set-mss \d|size set \d/, 'no figure printed as if measured');
    const byHand = remedies.at(-1)!;
    assert.match(byHand.title, /Measure the path MTU by hand/);
    assert.deepEqual(byHand.lines, [
      'lo=548; hi=1473; while [ $((hi - lo)) -gt 1 ]; do mid=$(((lo + hi) / 2)); if ping -n -M do -s $mid -c 1 -W 1 10.9.1.2 >/dev/null 2>&1; then lo=$mid; else hi=$mid; fi; done; echo "path MTU: $((lo + 28))"',
    ]);
  }
});

test('mtu fixes: a path outage gets rerun-and-check-flaps advice, never the MTU fixes', () => {
  const remedies = remediesForNode(diagnoseNode(evidence({ 'dl-http-0-1048576': { outcome: 'stalled', phase: 'body', bytes: 970020 } })), PORTS, none);
  assert.equal(remedies.length, 1);
  assert.match(remedies[0]!.title, /^Transient outage \(stalled at byte 970020; \d+ probes? passed after it\): rerun this node/);
  assert.ok(remedies[0]!.lines.includes('twoway run <same options> --limit n1'));
  assert.doesNotMatch(textOf(remedies), /fragmentation|mtu|MSS/i);
});

test("mtu fixes: the node's own figure goes beside the controller's, and so does why the node could not measure", () => {
  const controller: PathMtuMeasurement = { from: 'controller', to: NODE_ADDR, measured: true, mtu: 1372, interfaceMtu: 1500, probes: [], command: 'ping' };
  const node: PathMtuMeasurement = { from: 'node', to: '10.9.0.1', measured: true, mtu: 1400, interfaceMtu: 1500, probes: [], command: 'ping' };
  const both = fixesWith([controller, node]);
  assert.match(both[0]!.title, /the path MTU is 1372 \(measured from the controller to 10\.9\.1\.2 with DF-set ICMP echoes; from the node to 10\.9\.0\.1: 1400\)/);
  assert.ok(both.flatMap((r) => r.lines).includes('ip link set dev <iface> mtu 1372   # the path MTU, measured'), 'the smaller figure sets the MTU');
  const busybox: PathMtuMeasurement = { from: 'node', to: '10.9.0.1', measured: false, reason: 'ping on the node is not iputils ping (busybox?): it cannot set DF (-M do)', probes: [], command: 'ping' };
  assert.match(fixesWith([controller, busybox])[0]!.title, /; from the node: not measured \(ping on the node is not iputils ping \(busybox\?\): it cannot set DF \(-M do\)\)\)/);
});
