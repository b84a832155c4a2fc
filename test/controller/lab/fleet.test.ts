/** The lab fleet's plan (pure): names, addresses, limits, what `lab up` composes, and its ip batches. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FLEET_HOSTS_PER_SUBNET,
  FLEET_MAX_DROPPED,
  FLEET_MAX_NODES,
  abridgeLabItems,
  composeLab,
  fleetScenarios,
  validateComposition,
} from '../../../controller/lab/fleet.js';
import { fleetBatches, fleetBridgeMac, fleetNodeMac } from '../../../controller/lab/fleet-topology.js';
import { LAB_BLOCK, prefixesOverlap, subnet } from '../../../controller/lab/plan.js';
import { LAB_SCENARIOS } from '../../../controller/lab/scenarios.js';
import { drawLabParams } from '../../../controller/lab/params.js';
import { scenarioAddresses } from '../../../controller/lab/scenarios-model.js';
import { renderSshdConfig } from '../../../controller/lab/sshd.js';
import { labPaths, nodePaths, renderInventory } from '../../../controller/lab/state.js';

test('fleet nodes: numbered names, healthy first, then the dropped ones, each with its own address', () => {
  const fleet = fleetScenarios({ nodes: 3, dropped: 2 });
  assert.deepEqual(
    fleet.map((s) => `${s.node} ${scenarioAddresses(s).join(',')} ${s.expect.node}`),
    [
      'fleet-001 10.231.100.2 ok',
      'fleet-002 10.231.100.3 ok',
      'fleet-003 10.231.100.4 ok',
      'fleet-dropped-1 10.231.100.5 blocked',
      'fleet-dropped-2 10.231.100.6 blocked',
    ],
  );
  assert.ok(fleet.every((s) => s.sshd === 'running' && s.host === 'node'));
  assert.deepEqual(fleet[3]?.nodeNft?.output, ['meta l4proto tcp ct state new tcp dport { 63001, 63002 } drop']);
  assert.equal(fleet[0]?.nodeNft, undefined);
});

test('the largest fleet: names widen past 999, subnets fill up 250 hosts at a time, every address unique and in the lab block', () => {
  const fleet = fleetScenarios({ nodes: FLEET_MAX_NODES, dropped: FLEET_MAX_DROPPED });
  assert.equal(fleet[0]?.node, 'fleet-0001');
  assert.equal(fleet[FLEET_MAX_NODES - 1]?.node, 'fleet-1000');
  const addresses = fleet.flatMap(scenarioAddresses);
  assert.equal(new Set(addresses).size, fleet.length);
  assert.equal(addresses[FLEET_HOSTS_PER_SUBNET - 1], '10.231.100.251');
  assert.equal(addresses[FLEET_HOSTS_PER_SUBNET], '10.231.101.2');
  assert.equal(addresses.at(-1), '10.231.104.11');
  assert.ok(addresses.every((a) => prefixesOverlap(`${a}/32`, LAB_BLOCK)), 'inside 10.231.0.0/16');
});

test('no fleet subnet is one a static scenario uses', () => {
  const fleetSubnets = new Set(fleetScenarios({ nodes: FLEET_MAX_NODES, dropped: FLEET_MAX_DROPPED }).flatMap((s) => s.links.map((l) => l.n)));
  const clashes = LAB_SCENARIOS.flatMap((s) => s.links.filter((l) => fleetSubnets.has(l.n)).map((l) => `${s.node} ${subnet(l.n)}`));
  assert.deepEqual(clashes, []);
});

test('limits: a clear error beyond 1000 nodes or 10 dropped ones, and an only-fleet lab needs a fleet', () => {
  assert.throws(() => fleetScenarios({ nodes: 1001, dropped: 0 }), /0 to 1000 healthy nodes, not 1001/);
  assert.throws(() => fleetScenarios({ nodes: 1, dropped: 11 }), /0 to 10 nodes with dropped callbacks, not 11/);
  assert.throws(() => fleetScenarios({ nodes: 2.5, dropped: 0 }), /not 2\.5/);
  assert.throws(() => validateComposition({ onlyFleet: true }), /needs at least one fleet node/);
  assert.throws(() => validateComposition({ fleet: { nodes: 0, dropped: 0 }, onlyFleet: true }), /needs at least one fleet node/);
});

test('composeLab: the static scenarios, with the fleet after them, or the fleet alone', () => {
  const params = drawLabParams(7);
  assert.deepEqual(composeLab({}, params).map((s) => s.node), LAB_SCENARIOS.map((s) => s.node));
  const both = composeLab({ fleet: { nodes: 2, dropped: 1 } }, params).map((s) => s.node);
  assert.deepEqual(both, [...LAB_SCENARIOS.map((s) => s.node), 'fleet-001', 'fleet-002', 'fleet-dropped-1']);
  assert.deepEqual(composeLab({ fleet: { nodes: 2, dropped: 0 }, onlyFleet: true }, params).map((s) => s.node), ['fleet-001', 'fleet-002']);
});

test('a fleet node serves SSH on port 22 only, like the healthy scenario; a scenario with a service port listens there too', () => {
  const paths = labPaths({ TWOWAY_LAB_DIR: '/tmp/twoway-lab-test' });
  const [node] = fleetScenarios({ nodes: 1, dropped: 0 });
  const listen = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('ListenAddress '));
  assert.deepEqual(listen(renderSshdConfig(node!, nodePaths(paths, node!.node), paths)), ['ListenAddress 10.231.100.2:22']);
  const healthy = LAB_SCENARIOS.find((s) => s.node === 'healthy')!;
  assert.deepEqual(listen(renderSshdConfig(healthy, nodePaths(paths, 'healthy'), paths)), ['ListenAddress 10.231.1.2:22']);
  const withService = LAB_SCENARIOS.find((s) => (s.servicePorts ?? []).length > 0)!;
  assert.ok(listen(renderSshdConfig(withService, nodePaths(paths, withService.node), paths)).some((l) => l.endsWith(`:${withService.servicePorts![0]}`)));
});

test('the fleet inventory lists exactly the fleet nodes', () => {
  const text = renderInventory(fleetScenarios({ nodes: 2, dropped: 1 }));
  assert.deepEqual([...text.matchAll(/^ {2}- name: (\S+)\n {4}address: (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`), [
    'fleet-001 10.231.100.2',
    'fleet-002 10.231.100.3',
    'fleet-dropped-1 10.231.100.4',
  ]);
});

test('ip batches: one bridge per fleet subnet, each node a bridge port with permanent neighbours both ways', () => {
  const fleet = fleetScenarios({ nodes: 251, dropped: 0 });
  const b = fleetBatches(fleet);
  assert.deepEqual(b.subnets, [100, 101]);
  assert.equal(b.namespaces.length, 251);
  assert.equal(b.namespaces[0], 'netns add twl-fleet-001');
  assert.deepEqual(b.router.filter((l) => / type bridge /.test(l)), [
    `link add r100 address ${fleetBridgeMac(100)} type bridge stp_state 0`,
    `link add r101 address ${fleetBridgeMac(101)} type bridge stp_state 0`,
  ]);
  const last = fleet[250]!;
  const mac = fleetNodeMac(last.links[0]!);
  assert.equal(mac, '02:74:77:00:65:02');
  assert.ok(b.router.includes(`link add r101h2 type veth peer name eth0 address ${mac} netns twl-fleet-251`));
  assert.ok(b.router.includes('link set r101h2 master r101'));
  assert.ok(b.router.includes(`neigh replace 10.231.101.2 lladdr ${mac} dev r101 nud permanent`));
  assert.deepEqual(b.nodes[250], {
    netns: 'twl-fleet-251',
    lines: [
      'link set lo up',
      'addr add 10.231.101.2/24 dev eth0',
      'link set eth0 up',
      'route add default via 10.231.101.1',
      `neigh replace 10.231.101.1 lladdr ${fleetBridgeMac(101)} dev eth0 nud permanent`,
    ],
  });
  const macs = fleet.map((s) => fleetNodeMac(s.links[0]!));
  assert.equal(new Set(macs).size, macs.length, 'every node MAC differs');
});

test('abridged lists: fleet namespaces counted, and sshds once there are many; the rest kept in order', () => {
  const fleetNs = ['twl-fleet-001', 'twl-fleet-002'];
  assert.deepEqual(abridgeLabItems(['sshd 10', 'twl-ctl', ...fleetNs, 'twl-rtr', '/var/lib/twoway-lab']), [
    'sshd 10',
    'twl-ctl',
    '2 fleet namespaces (twl-fleet-001 ...)',
    'twl-rtr',
    '/var/lib/twoway-lab',
  ]);
  const sshds = Array.from({ length: 21 }, (_, i) => `sshd ${100 + i}`);
  assert.deepEqual(abridgeLabItems([...sshds, 'twl-ctl']), ['21 sshds', 'twl-ctl']);
  assert.deepEqual(abridgeLabItems(['twl-ctl', 'twl-healthy']), ['twl-ctl', 'twl-healthy']);
});
