/** The controller-firewall check on a ruleset captured from real `nft -j list ruleset` output (test/fixtures/nft-ruleset.json). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { judgeIngress, parseNftJson, type NftRuleset } from '../../../controller/firewall/nft-eval.js';

// table inet filt, chain input (policy drop): lo accept; ct established,related accept;
// ip saddr 10.0.0.0/8 tcp dport 22 accept (h5); tcp dport {63001,63002} drop (h7);
// tcp dport 1000-2000 reject (h8); meta l4proto udp accept; jump other (h10); other: tcp dport 8080 accept.
const FIXTURE = fileURLToPath(new URL('../../../../test/fixtures/nft-ruleset.json', import.meta.url));
const ruleset = parseNftJson(readFileSync(FIXTURE, 'utf8'));
const judge = (port: number, source?: string, rs: NftRuleset = ruleset) => judgeIngress(rs, { port, family: 'ip', ...(source === undefined ? {} : { source }) });

test('nft check: a port dropped by a rule names the rule; a range rejects; the policy drops the rest', () => {
  assert.deepEqual(judge(63001), { kind: 'blocked', by: { family: 'inet', table: 'filt', chain: 'input' }, rule: { family: 'inet', table: 'filt', chain: 'input', handle: 7 }, action: 'drop' });
  const range = judge(1500);
  assert.equal(range.kind === 'blocked' && range.action, 'reject');
  const policy = judge(9999);
  assert.equal(policy.kind, 'blocked');
  assert.equal(policy.kind === 'blocked' ? policy.rule : 'x', undefined);
});

test('nft check: accepts through a jumped chain, and by source prefix; an unknown source is unknown, not a guess', () => {
  assert.deepEqual(judge(8080), { kind: 'accepted' });
  assert.deepEqual(judge(22, '10.1.2.3'), { kind: 'accepted' });
  assert.equal(judge(22, '192.168.1.5').kind, 'blocked');
  // Rule h5 accepts port 22 only from 10/8: for an unknown source it cannot be decided, and it is only an accept.
  assert.equal(judge(22).kind, 'blocked');
});

test('nft check: no input chains at all lets everything in; an opening jump at the top accepts the ports', () => {
  assert.deepEqual(judge(63001, undefined, { chains: [], rules: [] }), { kind: 'accepted' });
  const opened: NftRuleset = {
    chains: [...ruleset.chains, { family: 'inet', table: 'filt', chain: 'twoway_open_1' }],
    rules: [
      { family: 'inet', table: 'filt', chain: 'input', handle: 99, expr: [{ jump: { target: 'twoway_open_1' } }] },
      ...ruleset.rules,
      { family: 'inet', table: 'filt', chain: 'twoway_open_1', handle: 100, expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { set: [63001, 63002] } } }, { accept: null }] },
    ],
  };
  assert.deepEqual(judge(63001, undefined, opened), { kind: 'accepted' });
  assert.equal(judge(9999, undefined, opened).kind, 'blocked');
});

test('nft check: a drop whose match is not understood makes the answer unknown at that rule', () => {
  const rs: NftRuleset = {
    chains: [{ family: 'ip', table: 't', chain: 'in', hook: 'input', type: 'filter', prio: 0, policy: 'accept' }],
    rules: [{ family: 'ip', table: 't', chain: 'in', handle: 3, expr: [{ match: { op: '==', left: { meta: { key: 'skuid' } }, right: 0 } }, { drop: null }] }],
  };
  assert.deepEqual(judge(63001, undefined, rs), { kind: 'unknown', by: { family: 'ip', table: 't', chain: 'in', handle: 3 }, reason: 'a rule whose matches this check does not evaluate' });
  // Another table's accept does not bind this one: every input base chain must accept.
  const two: NftRuleset = {
    chains: [...rs.chains, { family: 'inet', table: 'u', chain: 'in', hook: 'input', type: 'filter', prio: -10, policy: 'accept' }],
    rules: [{ family: 'inet', table: 'u', chain: 'in', handle: 1, expr: [{ accept: null }] }, ...rs.rules],
  };
  assert.equal(judge(63001, undefined, two).kind, 'unknown');
});

test('nft check: a named set or an unsure return is "cannot tell"; meta protocol is the ethertype', () => {
  const chain = { family: 'inet', table: 't', chain: 'in', hook: 'input', type: 'filter', prio: 0, policy: 'accept' };
  const rule = (handle: number, expr: unknown[]) => ({ family: 'inet', table: 't', chain: 'in', handle, expr });
  const saddr = { payload: { protocol: 'ip', field: 'saddr' } };
  const named: NftRuleset = { chains: [chain], rules: [rule(2, [{ match: { op: '==', left: saddr, right: '@blocklist' } }, { drop: null }])] };
  assert.equal(judge(63001, '10.1.2.3', named).kind, 'unknown');
  const ethertype: NftRuleset = { chains: [chain], rules: [rule(3, [{ match: { op: '==', left: { meta: { key: 'protocol' } }, right: 'ip' } }, { drop: null }])] };
  assert.equal(judge(63001, '10.1.2.3', ethertype).kind, 'blocked', 'an IPv4 packet is "meta protocol ip"');
  const unsureReturn: NftRuleset = { chains: [{ ...chain, policy: 'drop' }], rules: [rule(4, [{ match: { op: '==', left: { meta: { key: 'skuid' } }, right: 0 } }, { return: null }])] };
  assert.equal(judge(63001, undefined, unsureReturn).kind, 'unknown');
});

test('port sets: consecutive ports become ranges, so a passive FTP range fits iptables multiport', async () => {
  const { iptablesPorts, nftPorts } = await import('../../../controller/remedy/port-sets.js');
  const ports = [63002, 21, 80, 443, 63001, 63006, 63007, 63008, 63009, 63010, 63010];
  assert.equal(iptablesPorts(ports), '21,80,443,63001:63002,63006:63010');
  assert.equal(nftPorts(ports), '21, 80, 443, 63001-63002, 63006-63010');
});

test('preflight firewall: nftables accepting while iptables-legacy has INPUT rules is "not evaluated", never ok', async () => {
  const { judgePorts } = await import('../../../controller/firewall/host.js');
  const empty: NftRuleset = { chains: [], rules: [] };
  assert.equal(judgePorts({ tool: 'nft', ruleset: empty }, [63001], [])[0]?.verdict.kind, 'accepted');
  const withLegacy = judgePorts({ tool: 'nft', ruleset: empty, legacyInput: '-P INPUT ACCEPT\n-A INPUT -p tcp --dport 63001 -j DROP' }, [63001], ['10.0.0.5']);
  assert.equal(withLegacy[0]?.verdict.kind, 'not-evaluated');
  // A block nftables can name stays a block.
  assert.equal(judgePorts({ tool: 'nft', ruleset, legacyInput: '-A INPUT -j DROP' }, [63001], ['10.0.0.5'])[0]?.verdict.kind, 'blocked');
});
