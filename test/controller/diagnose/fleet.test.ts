/** Fleet inference and pasteable remedies: pure functions over node reports. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferFleet } from '../../../controller/diagnose/fleet.js';
import { esxiRuleFile, remediesForNode } from '../../../controller/remedy/remedies.js';
import { NO_HINTS } from '../../../src/profiles.js';
import type { NodeReport, PathReport } from '../../../src/report.js';
import type { PathKind } from '../../../src/verdicts.js';

const CTL = '10.9.0.1';

function callback(from: string, port: number, verdict: PathKind, evidence: Record<string, unknown> = {}): PathReport {
  return { direction: 'callback', from, to: CTL, port, proto: port === 63001 ? 'http' : 'https', verdict, summary: '', evidence };
}

function node(name: string, address: string, verdicts: [PathKind, PathKind], profile = 'linux'): NodeReport {
  const paths = [callback(address, 63001, verdicts[0]), callback(address, 63002, verdicts[1])];
  return { name, addresses: [address], profile, verdict: verdicts[0], callbackAddresses: [CTL], paths, ms: 1 };
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

const PORTS = { httpPort: 63001, httpsPort: 63002, hints: NO_HINTS };
const none = (): boolean => false;

test('remedies: blocked callbacks while 80/443 pass give the ESXi rule file and the port change in both forms, once per node', () => {
  const alternates = [{ proto: 'http', port: 80, outcome: 'ok' }, { proto: 'https', port: 443, outcome: 'ok' }];
  const esx = node('esx', '10.9.1.2', ['blocked', 'blocked']);
  esx.paths = esx.paths.map((p) => ({ ...p, evidence: { alternates } }));
  const remedies = remediesForNode(esx, PORTS, none);
  const text = remedies.map((r) => `${r.where}\n${r.lines.join('\n')}`).join('\n');
  assert.equal((text.match(/<ConfigRoot>/g) ?? []).length, 1, 'one rule file for both ports');
  assert.match(text, /<port>63001<\/port>[\s\S]*<port>63002<\/port>/);
  assert.match(text, /esxcli network firewall refresh/);
  assert.match(text, /--port 80 --ssl-port 443/);
  assert.match(text, /hpsum\.ini\nport=80\nssl_port=443/);
  assert.match(text, /iptables -I OUTPUT -p tcp -d 10\.9\.0\.1 -m multiport --dports 63001,63002 -j ACCEPT/);
  // Without the alternates passing, a Linux node only gets its own egress rule.
  assert.deepEqual(remediesForNode(node('n', '10.9.1.2', ['blocked', 'ok']), PORTS, none).map((r) => r.where), ['on the node']);
  // A path a fleet finding explains gets nothing here.
  assert.deepEqual(remediesForNode(esx, PORTS, () => true), []);
});

test('remedies: a dual-homed node whose one NIC cannot call back is told to route that address, not to open a firewall', () => {
  const dual = node('dual', '10.9.5.2', ['ok', 'ok']);
  dual.paths.push(callback('10.9.4.2', 63001, 'blocked'), callback('10.9.4.2', 63002, 'blocked'));
  dual.nics = [
    { address: '10.9.5.2', reaches: [CTL], fails: [] },
    { address: '10.9.4.2', reaches: [], fails: [CTL] },
  ];
  const remedies = remediesForNode(dual, PORTS, none);
  assert.deepEqual(remedies[0]?.lines, ['ip rule add from 10.9.4.2 lookup 100', "ip route add default via <gateway on 10.9.4.2's subnet> table 100"]);
  assert.deepEqual(remedies[1]?.lines, ['10.9.5.2']);
  assert.equal(remedies.some((r) => r.lines.some((l) => l.includes('OUTPUT'))), false);
});

test('remedies: the ESXi rule file is well-formed XML with one outbound rule per port', () => {
  const [file] = esxiRuleFile([8080, 8443]);
  const xml = file!.lines.join('\n');
  assert.equal((xml.match(/<rule id=/g) ?? []).length, 2);
  assert.equal((xml.match(/<direction>outbound<\/direction>/g) ?? []).length, 2);
  assert.match(xml, /<enabled>true<\/enabled>\n {4}<required>false<\/required>/);
  // Every opened tag is closed, in order.
  const stack: string[] = [];
  for (const [, close, name] of xml.matchAll(/<(\/?)([a-zA-Z]+)[^>]*>/g)) {
    if (close === '') stack.push(name!);
    else assert.equal(stack.pop(), name);
  }
  assert.deepEqual(stack, []);
});

test('remedies: an MTU black hole names the largest passing size and the usual fixes', () => {
  const mtu = node('mtu', '10.9.6.2', ['mtu-blackhole', 'mtu-blackhole']);
  mtu.paths[0]!.evidence = { largestPassingDownload: 1024, stallAt: 0 };
  const remedies = remediesForNode(mtu, PORTS, none);
  assert.match(remedies[0]!.title, /largest download that passed: 1 KiB/);
  const lines = remedies.flatMap((r) => r.lines).join('\n');
  assert.match(lines, /icmp-type fragmentation-needed -j ACCEPT/);
  assert.match(lines, /TCPMSS --clamp-mss-to-pmtu/);
});
