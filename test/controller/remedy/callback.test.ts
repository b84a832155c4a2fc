/** Fixes for callbacks that never got through, from nodes the real diagnosis judged. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { esxiRuleFile } from '../../../controller/remedy/callback.js';
import { remediesForNode } from '../../../controller/remedy/node.js';
import { NO_HINTS } from '../../../src/profiles.js';
import type { ProbeResult } from '../../../src/protocol.js';
import { NODE_ADDR, allHttp, dualHomed, evidence, httpPath } from '../../helpers/diagnose-input.js';
import { evidenceOf } from '../../helpers/evidence.js';

const PORTS = { httpPort: 63001, httpsPort: 63002, hints: NO_HINTS };
const none = (): boolean => false;
const TIMEOUT: Partial<ProbeResult> = { outcome: 'timeout', phase: 'connect', ms: 3000 };

/** Every http and https callback times out; the alternate hellos on 80/443 as given (ok by default). */
function blocked(alternates: Partial<ProbeResult> = {}) {
  const http = allHttp(TIMEOUT);
  const https = Object.fromEntries(Object.entries(http).map(([id, r]) => [id.replace('-http-', '-https-'), r]));
  return evidence({ ...http, ...https, 'alt-http-0': alternates, 'alt-https-0': alternates });
}

test('remedies: blocked callbacks while 80/443 pass give the ESXi rule file and the port change in both forms, once per node', () => {
  const esx = diagnoseNode(blocked());
  assert.deepEqual(evidenceOf(httpPath(esx), 'probe').alternates?.map((a) => `${a.port} ${a.outcome}`), ['80 ok', '443 ok'], 'the remedies rest on this evidence');
  const remedies = remediesForNode(esx, PORTS, none);
  const text = remedies.map((r) => `${r.where}\n${r.lines.join('\n')}`).join('\n');
  assert.equal((text.match(/<ConfigRoot>/g) ?? []).length, 1, 'one rule file for both ports');
  assert.match(text, /<port>63001<\/port>[\s\S]*<port>63002<\/port>/);
  assert.match(text, /esxcli network firewall refresh/);
  assert.match(text, /--port 80 --ssl-port 443/);
  assert.match(text, /hpsum\.ini\nport=80\nssl_port=443/);
  assert.match(text, /iptables -I OUTPUT -p tcp -d 10\.9\.0\.1 -m multiport --dports 63001,63002 -j ACCEPT/);
  // A path a fleet finding explains gets nothing here.
  assert.deepEqual(remediesForNode(esx, PORTS, () => true), []);
});

test('remedies: without the alternates passing, a Linux node only gets its own egress rule', () => {
  const linux = diagnoseNode(blocked(TIMEOUT));
  assert.deepEqual(remediesForNode(linux, PORTS, none).map((r) => r.where), ['on the node']);
  const oneBlocked = diagnoseNode(evidence({ 'hello-http-0': TIMEOUT, 'alt-http-0': TIMEOUT, 'alt-https-0': TIMEOUT }));
  assert.deepEqual(remediesForNode(oneBlocked, PORTS, none).map((r) => r.lines[0]), [
    'iptables -I OUTPUT -p tcp -d 10.9.0.1 -m multiport --dports 63001 -j ACCEPT',
  ]);
});

test('remedies: a refused callback gets the egress rule, without the ESXi file (nothing was dropped)', () => {
  const refused = diagnoseNode(evidence({ ...allHttp({ outcome: 'refused', phase: 'connect' }) }));
  const remedies = remediesForNode(refused, PORTS, none);
  assert.equal(remedies.some((r) => r.lines.includes('<ConfigRoot>')), false);
  assert.ok(remedies.some((r) => r.where === 'on the node'));
});

test('remedies: a dual-homed node whose one NIC cannot call back is told to route that address, not to open a firewall', () => {
  const remedies = remediesForNode(dualHomed(), PORTS, none);
  assert.deepEqual(remedies[0]?.lines, ['ip rule add from 10.9.4.2 lookup 100', "ip route add default via <gateway on 10.9.4.2's subnet> table 100"]);
  assert.deepEqual(remedies[1]?.lines, [NODE_ADDR]);
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

test('remedies: callbacks the update manager does not need get no fixes; the ones it needs still do', () => {
  const node = diagnoseNode(blocked());
  const why = 'HPE SUM 7.3+ needs no callback from linux nodes';
  const unneeded = { ...node, paths: node.paths.map((p) => (p.direction === 'callback' ? { ...p, notNeeded: why } : p)) };
  assert.ok(remediesForNode(node, PORTS, none).length > 0, 'needed: fixed');
  assert.deepEqual(remediesForNode(unneeded, PORTS, none), []);
});
