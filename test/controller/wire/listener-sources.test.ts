/**
 * A node's token is served only from the node's addresses (or a NAT bound on first use), on
 * loopback: web1 calls from 127.0.0.2, web2 from 127.0.0.3.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SOURCE_REFUSAL, SourceBinding } from '../../../controller/wire/source-binding.js';
import { PATHS, TOKEN_HEADER } from '../../../src/protocol.js';
import { startTestListener } from '../../helpers/listener-harness.js';
import { get, nodePlan } from '../../helpers/listener-peers.js';

async function start(t: { after: (fn: () => Promise<void>) => void }) {
  const sources = new SourceBinding();
  sources.expect('web1', ['127.0.0.2']);
  sources.expect('web2', ['127.0.0.3']);
  const harness = await startTestListener(t, '127.0.0.1', { sources });
  const web1 = harness.setPlan(nodePlan(harness, 'web1'));
  const web2 = harness.setPlan(nodePlan(harness, 'web2'));
  const hello = (token: string, from: string) => get(harness.listener.portFor('http'), `${PATHS.hello}?probe=hello-http-0`, { [TOKEN_HEADER]: token }, from);
  return { ...harness, web1, web2, hello };
}

test('sources: a node\'s token from its own address is served; from another node\'s address it is refused, stray, and names the node', async (t) => {
  const { listener, web1, web2, hello } = await start(t);
  assert.equal((await hello(web1.token, '127.0.0.2')).status, 200);
  assert.equal((await hello(web2.token, '127.0.0.3')).status, 200);
  const replay = await hello(web1.token, '127.0.0.3');
  assert.equal(replay.status, 403);
  const snap = listener.ledger.snapshot();
  assert.equal(snap.strayCount, 1);
  assert.deepEqual(snap.requests.map((r) => [r.node, r.peer.address]), [['web1', '127.0.0.2'], ['web2', '127.0.0.3']]);
  assert.deepEqual(snap.straySummary, [{ source: '127.0.0.3', reason: SOURCE_REFUSAL.otherNode, count: 1, ports: [listener.portFor('http')], paths: [PATHS.hello], node: 'web1' }]);
  assert.match(snap.stray[0]?.detail ?? '', /node web2's/);
});

test('sources: a token from an address that is no node\'s (a NAT) is served, and binds it: another such address is refused', async (t) => {
  const { listener, web1, web2, hello } = await start(t);
  assert.equal((await hello(web1.token, '127.0.0.7')).status, 200, 'the NAT in front of web1');
  assert.equal((await hello(web1.token, '127.0.0.7')).status, 200, 'the same NAT again');
  assert.equal((await hello(web1.token, '127.0.0.2')).status, 200, 'web1 itself');
  assert.equal((await hello(web1.token, '127.0.0.8')).status, 403, 'somewhere else');
  // web2 called from its own address: no NAT in front of it, so no unexpected address is bound for it.
  assert.equal((await hello(web2.token, '127.0.0.3')).status, 200);
  assert.equal((await hello(web2.token, '127.0.0.9')).status, 403);
  const snap = listener.ledger.snapshot();
  assert.deepEqual(
    snap.straySummary.map((s) => [s.source, s.reason, s.node]),
    [
      ['127.0.0.8', SOURCE_REFUSAL.secondTranslated, 'web1'],
      ['127.0.0.9', SOURCE_REFUSAL.secondTranslated, 'web2'],
    ],
  );
  // The hello answers what the controller saw: the run's source-mismatch evidence rests on it.
  assert.deepEqual(snap.requests.map((r) => r.peer.address), ['127.0.0.7', '127.0.0.7', '127.0.0.2', '127.0.0.3']);
});

test('sources: the binding itself: own, learned, shared and NAT addresses, one NAT per address family', () => {
  const b = new SourceBinding();
  b.expect('a', ['10.0.0.1']);
  b.expect('b', ['10.0.0.2']);
  b.expect('c', ['10.0.0.2']);
  b.learn('a', ['192.168.5.1']);
  assert.deepEqual(b.decide('a', '10.0.0.1'), { served: true, translated: false });
  assert.deepEqual(b.decide('a', '192.168.5.1'), { served: true, translated: false }, 'an address the agent reported');
  assert.deepEqual(b.decide('b', '10.0.0.2'), { served: true, translated: false }, 'two nodes on one address');
  assert.deepEqual(b.decide('a', '10.0.0.2'), { served: false, reason: SOURCE_REFUSAL.otherNode, otherNode: 'b' });
  // A learned address is the node's own, not a claim against other nodes (c has not called yet: no NAT ruled out).
  assert.deepEqual(b.decide('c', '192.168.5.1'), { served: true, translated: true });
  assert.equal(b.isExpected('203.0.113.9'), false);
  // A node that has called from its own address is not behind a NAT: another address is refused.
  assert.deepEqual(b.decide('a', '203.0.113.9'), { served: false, reason: SOURCE_REFUSAL.secondTranslated });
  assert.equal(b.isExpected('203.0.113.9'), false);
  // A node behind a NAT: its first unexpected address per family is bound, then only that one.
  b.expect('nat', ['10.0.0.7']);
  assert.deepEqual(b.decide('nat', '203.0.113.9'), { served: true, translated: true });
  assert.equal(b.isExpected('203.0.113.9'), true);
  assert.deepEqual(b.decide('nat', '2001:db8::9'), { served: true, translated: true }, 'one NAT address per family');
  assert.deepEqual(b.decide('nat', '203.0.113.10'), { served: false, reason: SOURCE_REFUSAL.secondTranslated });
  assert.deepEqual(b.decide('nat', '2001:db8::10'), { served: false, reason: SOURCE_REFUSAL.secondTranslated });
  assert.deepEqual(b.decide('nat', '10.0.0.7'), { served: true, translated: false }, 'its own address still');
});

test('sources: the token as proxy credentials in an absolute-form request (how busybox wget sends it) is read, and bound to the node\'s addresses like the header', async (t) => {
  const { listener, web1 } = await start(t);
  const port = listener.portFor('http');
  const target = `http://127.0.0.1:${port}${PATHS.hello}?probe=hello-http-0`;
  const basic = (user: string, token: string) => ({ 'proxy-authorization': `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` });
  assert.equal((await get(port, target, basic(TOKEN_HEADER, web1.token), '127.0.0.2')).status, 200);
  assert.equal((await get(port, target, basic('someone', web1.token), '127.0.0.2')).status, 403, 'credentials for another user are no token');
  assert.equal((await get(port, target, basic(TOKEN_HEADER, web1.token), '127.0.0.3')).status, 403, "from web2's address");
  const snap = listener.ledger.snapshot();
  assert.deepEqual(snap.requests.map((r) => [r.node, r.peer.address]), [['web1', '127.0.0.2']]);
  assert.deepEqual(snap.straySummary.map((s) => [s.source, s.reason]), [
    ['127.0.0.2', 'missing token'],
    ['127.0.0.3', SOURCE_REFUSAL.otherNode],
  ]);
});
