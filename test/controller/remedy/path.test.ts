/** Fixes on the path between node and controller, from nodes the real diagnosis judged. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { remediesForNode } from '../../../controller/remedy/node.js';
import { NO_HINTS } from '../../../src/profiles.js';
import type { AgentEvent } from '../../../src/protocol.js';
import { CONTROLLER, DONE, NODE_ADDR, allHttp, evidence, httpPath, ledgerFor, synSeen } from '../../helpers/diagnose-input.js';
import { evidenceOf } from '../../helpers/evidence.js';

const PORTS = { httpPort: 63001, httpsPort: 63002, hints: NO_HINTS };
const none = (): boolean => false;

test('remedies: an MTU black hole names the largest passing size and the usual fixes', () => {
  const mtu = diagnoseNode(evidence({ 'dl-http-0-65536': { outcome: 'stalled', phase: 'body', bytes: 1448 }, 'dl-http-0-1048576': { outcome: 'stalled', phase: 'body', bytes: 0 } }));
  assert.equal(evidenceOf(httpPath(mtu), 'size-boundary').largestPassingDownload, 1024);
  const remedies = remediesForNode(mtu, PORTS, none);
  assert.match(remedies[0]!.title, /largest download that passed: 1 KiB; the stall came at byte 1448/);
  const lines = remedies.flatMap((r) => r.lines).join('\n');
  assert.match(lines, /icmp-type fragmentation-needed -j ACCEPT/);
  assert.match(lines, /TCPMSS --clamp-mss-to-pmtu/);
});

test('remedies: answers lost on the way back name the node address whose SYN the controller held', () => {
  const lost = diagnoseNode(evidence(allHttp({ outcome: 'timeout', phase: 'connect' }), { controllerHalfOpen: synSeen(NODE_ADDR, 63001) }));
  const remedies = remediesForNode(lost, PORTS, none);
  assert.deepEqual(remedies.map((r) => r.lines[0]), [`iptables -I FORWARD -s ${CONTROLLER} -d ${NODE_ADDR} -p tcp -m multiport --sports 63001 -j ACCEPT`]);
  assert.match(remedies[0]!.lines[2]!, /ip route get 10\.9\.1\.2 from 10\.9\.0\.1 {3}# on the controller: must leave toward n1/);
});

test('remedies: an idle cut says within how long the state was forgotten', () => {
  const idle = diagnoseNode(
    evidence({ 'hold-http-0': { outcome: 'no-response', phase: 'hold', hold: { idleMs: 4000, push: false, pong: false } } }, { ledger: [{ ...ledgerFor('hold-http-0'), holdOpened: true, holdPushSent: true }] }),
  );
  const remedies = remediesForNode(idle, PORTS, none);
  assert.deepEqual(remedies.map((r) => r.title), ['A stateful firewall or NAT forgets idle flows within 4 s: raise its TCP established timeout above the longest flash']);
});

test('remedies: the node\'s answers to a forward probe lost (its SYN half-open): route its address, or loosen rp_filter', () => {
  const forward = [{ address: NODE_ADDR, port: 22, probe: 'tcp' as const, purpose: 'ssh', needs: 'service' as const, result: { outcome: 'timeout' as const, ms: 3000 } }];
  const halfOpen: AgentEvent = { t: 'halfopen', measured: true, entries: [{ local: { address: NODE_ADDR, port: 22 }, remote: { address: CONTROLLER, port: 41000 } }] };
  const input = evidence({}, { forward });
  const node = diagnoseNode({ ...input, events: [...input.events.slice(0, -1), halfOpen, DONE] });
  const remedies = remediesForNode(node, PORTS, none);
  assert.deepEqual(remedies.map((r) => r.lines[0]), [`ip rule add from ${NODE_ADDR} lookup 100`, 'sysctl -w net.ipv4.conf.all.rp_filter=2']);
});

test('remedies: a healthy node gets none', () => {
  assert.deepEqual(remediesForNode(diagnoseNode(evidence()), PORTS, none), []);
});
