/** Fleet inference over node reports, and the remedies the fleet's findings leave to each node. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseFleet, inferFleet } from '../../../controller/diagnose/fleet.js';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { NO_HINTS } from '../../../src/profiles.js';
import type { NodeReport } from '../../../src/report.js';
import type { PathKind } from '../../../src/verdicts.js';
import { NODE_ADDR, allHttp, evidence } from '../../helpers/diagnose-input.js';
import { callback, node as reportNode } from '../../helpers/report-builder.js';

const CTL = '10.9.0.1';
const PORTS = { httpPort: 63001, httpsPort: 63002, hintsOf: () => NO_HINTS };

/** A node whose two callbacks (63001, 63002) got these verdicts. */
function node(name: string, address: string, verdicts: [PathKind, PathKind]): NodeReport {
  return reportNode(name, [address], [callback(address, 63001, verdicts[0], CTL), callback(address, 63002, verdicts[1], CTL)]);
}

test('fleet: every measured node failing the same port is the controller side, told once with the firewall commands', () => {
  const nodes = [node('a', '10.9.1.2', ['blocked', 'ok']), node('b', '10.9.2.2', ['blocked', 'ok']), node('c', '10.9.3.2', ['rejected', 'ok'])];
  const findings = inferFleet(nodes);
  assert.equal(findings.length, 1);
  const [f] = findings;
  assert.equal(f?.scope, 'controller');
  assert.equal(f?.port, 63001);
  assert.equal(f?.verdict, 'blocked', 'the verdict most nodes share');
  assert.deepEqual(f?.nodes, ['a', 'b', 'c']);
  assert.match(f?.summary ?? '', /every node \(3\) fails callbacks to 10\.9\.0\.1:63001/);
  assert.ok(f?.remedies[0]?.lines.includes('iptables -I INPUT -p tcp -m multiport --dports 63001 -j ACCEPT'));
});

test('fleet: nodes failing the same port in different ways are separate faults, not a controller finding', () => {
  assert.deepEqual(inferFleet([node('a', '10.9.1.2', ['rejected', 'rejected']), node('b', '10.9.2.2', ['return-path-lost', 'return-path-lost'])]), []);
});

test('fleet: one node passing the port clears the controller; a lone failing node is no finding', () => {
  assert.deepEqual(inferFleet([node('a', '10.9.1.2', ['blocked', 'ok']), node('b', '10.9.2.2', ['ok', 'ok'])]), []);
  assert.deepEqual(inferFleet([node('a', '10.9.1.2', ['blocked', 'blocked'])]), []);
});

test('fleet: nodes not measured (SSH failed) neither make nor break a finding', () => {
  const findings = inferFleet([node('a', '10.9.1.2', ['blocked', 'blocked']), node('b', '10.9.2.2', ['blocked', 'blocked']), node('c', '10.9.3.2', ['not-measured', 'not-measured'])]);
  assert.deepEqual(findings.map((f) => [f.scope, f.port, f.nodes.length]), [['controller', 63001, 2], ['controller', 63002, 2]]);
  assert.deepEqual(findings[0]?.remedies, [], 'one remedy for both ports, on the last finding');
  assert.ok(findings[1]?.remedies[0]?.lines.includes('iptables -I INPUT -p tcp -m multiport --dports 63001:63002 -j ACCEPT'));
});

test('fleet: a subnet failing together while others pass is named', () => {
  const nodes = [node('web1', '10.9.20.2', ['blocked', 'blocked']), node('web2', '10.9.20.3', ['blocked', 'blocked']), node('db', '10.9.30.2', ['ok', 'ok'])];
  const findings = inferFleet(nodes);
  assert.deepEqual(findings.map((f) => [f.scope, f.where, f.port]), [['subnet', '10.9.20.0/24', 63001], ['subnet', '10.9.20.0/24', 63002]]);
  assert.deepEqual(findings[0]?.nodes, ['web1', 'web2']);
  assert.deepEqual(findings[0]?.remedies, [], 'one remedy for both ports, on the last finding');
  assert.ok(findings[1]?.remedies[0]?.lines.includes('iptables -I FORWARD -s 10.9.20.0/24 -d 10.9.0.1 -p tcp -m multiport --dports 63001,63002 -j ACCEPT'));
  // One of the subnet passing: no finding.
  assert.deepEqual(inferFleet([node('web1', '10.9.20.2', ['blocked', 'ok']), node('web2', '10.9.20.3', ['ok', 'ok']), node('db', '10.9.30.2', ['ok', 'ok'])]), []);
});

/** A diagnosed node at `address` whose callbacks to the given ports time out (blocked). */
function blockedNode(name: string, address: string, blocked: ('http' | 'https')[]): NodeReport {
  const overrides = Object.fromEntries(blocked.flatMap((proto) => Object.entries(allHttp({ outcome: 'timeout', phase: 'connect', ms: 3000 })).map(([id, r]) => [id.replace('-http-', `-${proto}-`), r])));
  return diagnoseNode(evidence(overrides, { name, addresses: [address] }));
}

test('fleet: a node whose failures a finding explains gets no fixes of its own; the reports are new, not changed', () => {
  const nodes = [blockedNode('a', NODE_ADDR, ['http', 'https']), blockedNode('b', '10.9.2.2', ['http', 'https'])];
  const { nodes: reports, findings } = diagnoseFleet(nodes, PORTS);
  assert.deepEqual(findings.map((f) => [f.scope, f.port]), [['controller', 63001], ['controller', 63002]]);
  assert.deepEqual(reports.map((r) => r.remedies), [undefined, undefined]);
  // Alone, the same node gets its own egress rule for both ports.
  const alone = diagnoseFleet([nodes[0]!], PORTS).nodes[0]!;
  assert.ok(alone.remedies?.some((r) => r.lines.includes('iptables -I OUTPUT -p tcp -d 10.9.0.1 -m multiport --dports 63001,63002 -j ACCEPT')));
  assert.equal(nodes[0]!.remedies, undefined, 'the node diagnosis passed in is left as it was');
});

test('fleet: a finding that explains one of a node\'s failing ports leaves its own fix for the other port only', () => {
  const both = blockedNode('a', NODE_ADDR, ['http', 'https']);
  const { nodes: reports, findings } = diagnoseFleet([both, blockedNode('b', '10.9.2.2', ['http']), diagnoseNode(evidence({}, { name: 'c', addresses: ['10.9.3.2'] }))], PORTS);
  assert.deepEqual(findings, [], 'c passes 63001: no controller finding');
  assert.ok(reports[0]!.remedies?.some((r) => r.lines.includes('iptables -I OUTPUT -p tcp -d 10.9.0.1 -m multiport --dports 63001,63002 -j ACCEPT')));
  const shared = diagnoseFleet([both, blockedNode('b', '10.9.2.2', ['http'])], PORTS);
  assert.deepEqual(shared.findings.map((f) => f.port), [63001]);
  const lines = shared.nodes[0]!.remedies?.flatMap((r) => r.lines) ?? [];
  assert.ok(lines.includes('iptables -I OUTPUT -p tcp -d 10.9.0.1 -m multiport --dports 63002 -j ACCEPT'), lines.join('\n'));
  assert.equal(shared.nodes[1]!.remedies, undefined, 'b fails only the explained port');
});

test('fleet: callbacks the update manager does not need make no finding when they fail, and count as passing when they pass', () => {
  const notNeeded = (n: NodeReport): NodeReport => ({ ...n, verdict: 'ok', paths: n.paths.map((p) => ({ ...p, notNeeded: 'HPE SUM 7.3+ needs no http callback from linux nodes' })) });
  const blocked = [node('a', '10.9.1.2', ['blocked', 'blocked']), node('b', '10.9.2.2', ['blocked', 'blocked'])];
  assert.equal(inferFleet(blocked).length, 2, 'needed: a controller finding per port');
  assert.deepEqual(inferFleet(blocked.map(notNeeded)), [], 'not needed: no fleet-wide fault');
  // Two needed nodes of 10.9.1.0/24 fail; outside it only a node whose callbacks are not needed, and they passed.
  const subnet = [node('a', '10.9.1.2', ['blocked', 'ok']), node('b', '10.9.1.3', ['blocked', 'ok']), notNeeded(node('c', '10.9.2.2', ['ok', 'ok']))];
  assert.deepEqual(inferFleet(subnet).map((f) => [f.scope, f.where, f.port]), [['subnet', '10.9.1.0/24', 63001]]);
  // The same, outside node failing: it proves nothing about the controller side.
  const noPass = [node('a', '10.9.1.2', ['blocked', 'ok']), node('b', '10.9.1.3', ['blocked', 'ok']), notNeeded(node('c', '10.9.2.2', ['blocked', 'ok']))];
  assert.deepEqual(inferFleet(noPass).map((f) => [f.scope, f.nodes]), [['controller', ['a', 'b']]]);
});
