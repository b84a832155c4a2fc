/** The node's whole-host TCP counters (agent/src/host-tcp.ts): /proc/net/snmp parsed, and the run's difference. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostTcpDelta, parseSnmpTcp, readHostTcp } from '../../agent/src/host-tcp.js';

const SNMP = [
  'Ip: Forwarding DefaultTTL InReceives',
  'Ip: 1 64 1000',
  'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors',
  'Tcp: 1 200 120000 -1 10 5 0 0 2 5000 4800 37 0 3 0',
  'Udp: InDatagrams',
  'Udp: 5',
].join('\n');

test('parseSnmpTcp: OutSegs and RetransSegs by name from the Tcp lines', () => {
  assert.deepEqual(parseSnmpTcp(SNMP), { outSegs: 4800, retransSegs: 37 });
  assert.equal(parseSnmpTcp('Ip: a\nIp: 1\n'), undefined);
  assert.equal(parseSnmpTcp('Tcp: OutSegs\nTcp: x\n'), undefined);
});

test('hostTcpDelta: the run\'s difference; unknown when either end is, or a counter went back', () => {
  assert.deepEqual(hostTcpDelta({ outSegs: 100, retransSegs: 1 }, { outSegs: 900, retransSegs: 9 }), { outSegs: 800, retransSegs: 8 });
  assert.equal(hostTcpDelta(undefined, { outSegs: 1, retransSegs: 0 }), undefined);
  assert.equal(hostTcpDelta({ outSegs: 100, retransSegs: 1 }, { outSegs: 50, retransSegs: 1 }), undefined);
});

test('readHostTcp: this Linux host\'s counters', { skip: process.platform !== 'linux' }, () => {
  const c = readHostTcp();
  assert.ok(c !== undefined && c.outSegs >= c.retransSegs, JSON.stringify(c));
});
