/** Fleet inference and pasteable remedies: pure functions over node reports. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferFleet } from '../controller/fleet.js';
import { esxiRuleFile, remediesForPath } from '../controller/remediation.js';
import type { NodeReport, PathReport } from '../src/report.js';
import type { PathKind } from '../src/verdicts.js';

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

test('fleet: one node passing the port clears the controller; a lone failing node is no finding', () => {
  assert.deepEqual(inferFleet([node('a', '10.9.1.2', ['blocked', 'ok']), node('b', '10.9.2.2', ['ok', 'ok'])]), []);
  assert.deepEqual(inferFleet([node('a', '10.9.1.2', ['blocked', 'blocked'])]), []);
});

test('fleet: nodes not measured (SSH failed) neither make nor break a finding', () => {
  const findings = inferFleet([node('a', '10.9.1.2', ['blocked', 'blocked']), node('b', '10.9.2.2', ['blocked', 'blocked']), node('c', '10.9.3.2', ['not-measured', 'not-measured'])]);
  assert.deepEqual(findings.map((f) => [f.scope, f.port, f.nodes.length]), [['controller', 63001, 2], ['controller', 63002, 2]]);
  assert.deepEqual(findings[0]?.remedies, [], 'one remedy for both ports, on the last finding');
  assert.ok(findings[1]?.remedies[0]?.lines.includes('iptables -I INPUT -p tcp -m multiport --dports 63001,63002 -j ACCEPT'));
});

test('fleet: a subnet failing together while others pass is named', () => {
  const nodes = [node('web1', '10.9.20.2', ['blocked', 'blocked']), node('web2', '10.9.20.3', ['blocked', 'blocked']), node('db', '10.9.30.2', ['ok', 'ok'])];
  const findings = inferFleet(nodes);
  assert.deepEqual(findings.map((f) => [f.scope, f.where, f.port]), [['subnet', '10.9.20.0/24', 63001], ['subnet', '10.9.20.0/24', 63002]]);
  assert.deepEqual(findings[0]?.nodes, ['web1', 'web2']);
  assert.ok(findings[0]?.remedies[0]?.lines.includes('iptables -I FORWARD -s 10.9.20.0/24 -d 10.9.0.1 -p tcp --dport 63001 -j ACCEPT'));
  // One of the subnet passing: no finding.
  assert.deepEqual(inferFleet([node('web1', '10.9.20.2', ['blocked', 'ok']), node('web2', '10.9.20.3', ['ok', 'ok']), node('db', '10.9.30.2', ['ok', 'ok'])]), []);
});

test('remedies: blocked callbacks while 80/443 pass give the ESXi rule file and the port change in both forms', () => {
  const alternates = [{ proto: 'http', port: 80, outcome: 'ok' }, { proto: 'https', port: 443, outcome: 'ok' }];
  const path = callback('10.9.1.2', 63001, 'blocked', { alternates });
  const remedies = remediesForPath(path, node('esx', '10.9.1.2', ['blocked', 'blocked']), { httpPort: 63001, httpsPort: 63002 });
  const text = remedies.map((r) => `${r.where}\n${r.lines.join('\n')}`).join('\n');
  assert.match(text, /<port>63001<\/port>[\s\S]*<port>63002<\/port>/);
  assert.match(text, /esxcli network firewall refresh/);
  assert.match(text, /--port 80 --ssl-port 443/);
  assert.match(text, /hpsum\.ini\nport=80\nssl_port=443/);
  // Without the alternates passing, a Linux node only gets its own egress rule.
  const plain = remediesForPath(callback('10.9.1.2', 63001, 'blocked'), node('n', '10.9.1.2', ['blocked', 'ok']), { httpPort: 63001, httpsPort: 63002 });
  assert.deepEqual(plain.map((r) => r.where), ['on the node']);
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
  const path = callback('10.9.6.2', 63001, 'mtu-blackhole', { largestPassingDownload: 1024, stallAt: 0 });
  const remedies = remediesForPath(path, node('mtu', '10.9.6.2', ['mtu-blackhole', 'ok']), { httpPort: 63001, httpsPort: 63002 });
  assert.match(remedies[0]!.title, /largest transfer that passed: 1 KiB/);
  const lines = remedies.flatMap((r) => r.lines).join('\n');
  assert.match(lines, /icmp-type fragmentation-needed -j ACCEPT/);
  assert.match(lines, /TCPMSS --clamp-mss-to-pmtu/);
});
