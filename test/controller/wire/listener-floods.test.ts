/**
 * The callback listener under floods, on loopback: a stranger (127.0.0.1) against a node calling
 * from 127.0.0.2. Connection caps, the TLS handshake and header timeouts, and a ledger that keeps
 * the node's connections however many strays there are.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { CONNECTION_STRAY, type ListenerLimits } from '../../../controller/wire/listener.js';
import { SourceBinding } from '../../../controller/wire/source-binding.js';
import { PATHS, TOKEN_HEADER, type Endpoint } from '../../../src/protocol.js';
import { startTestListener } from '../../helpers/listener-harness.js';
import { get, nodePlan, until } from '../../helpers/listener-peers.js';

const HOST = '127.0.0.1';
const NODE_ADDRESS = '127.0.0.2';

async function start(t: { after: (fn: () => Promise<void>) => void }, limits: Partial<ListenerLimits> = {}) {
  const sources = new SourceBinding();
  sources.expect('web1', [NODE_ADDRESS]);
  const harness = await startTestListener(t, HOST, { sources, limits });
  const plan = harness.setPlan(nodePlan(harness, 'web1'));
  return { ...harness, plan, httpPort: harness.listener.portFor('http'), httpsPort: harness.listener.portFor('https') };
}

/** Opens a connection from `localAddress`; resolves once it is connected. */
function open(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: HOST, localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves when the socket closes; fails after `ms` (a bound, not a timing goal). */
function closed(socket: Socket, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed && socket.closed) return resolve();
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

test('floods: 5000 connect/close cycles from a stranger are strays; the node\'s connections are still recorded', async (t) => {
  const { listener, plan, httpPort } = await start(t);
  const CYCLES = 5000;
  const PARALLEL = 16;
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < CYCLES) {
        next += 1;
        const socket = await open(httpPort, HOST);
        socket.end();
        await closed(socket);
      }
    }),
  );
  const strays = await until(() => {
    const snap = listener.ledger.snapshot();
    return snap.strayCount >= CYCLES ? snap : undefined;
  }, 250);
  assert.equal(strays.strayCount, CYCLES);
  assert.deepEqual(strays.straySummary.map((s) => [s.source, s.reason, s.count]), [[HOST, CONNECTION_STRAY.empty, CYCLES]]);
  assert.ok(strays.stray.length <= 100, `a sample is kept, not every stray: ${strays.stray.length}`);
  assert.ok(strays.connections <= 64, `the stranger's connections are sampled: ${strays.connections} kept`);

  // The node's request after the flood: served, its connection recorded, the record complete.
  const res = await get(httpPort, `${PATHS.hello}?probe=hello-http-0`, { [TOKEN_HEADER]: plan.token }, NODE_ADDRESS);
  assert.equal(res.status, 200);
  const local: Endpoint = { address: NODE_ADDRESS, port: res.localPort };
  const view = listener.ledger.connectionsFor([{ t: 'probe', id: 'hello-http-0', outcome: 'ok', phase: 'body', ms: 1, local }]);
  assert.equal(view.records.length, 1);
  assert.deepEqual(view.records[0]?.peer, local);
  assert.equal(view.complete, true);
  assert.equal(listener.ledger.snapshot().strayCount, CYCLES, 'the node is no stray');
});

test('floods: a stranger gets at most its per-source share of connections; a node still connects', async (t) => {
  const { listener, plan, httpPort } = await start(t, { maxConnectionsPerPeer: 4 });
  const held = await Promise.all(Array.from({ length: 4 }, () => open(httpPort, HOST)));
  t.after(() => held.forEach((s) => s.destroy()));
  // Wait until the listener has counted all four, then the fifth is over the cap.
  await until(() => (listener.ledger.snapshot().peers[HOST]?.accepted === 4 ? true : undefined));
  const fifth = await open(httpPort, HOST);
  await closed(fifth);
  const snap = listener.ledger.snapshot();
  assert.deepEqual(snap.straySummary.map((s) => [s.source, s.reason, s.count]), [[HOST, CONNECTION_STRAY.overPeer, 1]]);
  const res = await get(httpPort, `${PATHS.hello}?probe=hello-http-0`, { [TOKEN_HEADER]: plan.token }, NODE_ADDRESS);
  assert.equal(res.status, 200);
});

test('floods: strangers together get half the total cap; the rest is the nodes\'', async (t) => {
  const { listener, plan, httpPort } = await start(t, { maxConnections: 6 });
  const held = await Promise.all(Array.from({ length: 3 }, () => open(httpPort, HOST)));
  t.after(() => held.forEach((s) => s.destroy()));
  await until(() => (listener.ledger.snapshot().peers[HOST]?.accepted === 3 ? true : undefined));
  const fourth = await open(httpPort, '127.0.0.9');
  await closed(fourth);
  assert.deepEqual(listener.ledger.snapshot().straySummary.map((s) => [s.source, s.reason]), [['127.0.0.9', CONNECTION_STRAY.overTotal]]);
  const nodeHeld = await Promise.all(Array.from({ length: 2 }, () => open(httpPort, NODE_ADDRESS)));
  t.after(() => nodeHeld.forEach((s) => s.destroy()));
  await until(() => (listener.ledger.snapshot().peers[NODE_ADDRESS]?.accepted === 2 ? true : undefined));
  const res = await get(httpPort, `${PATHS.hello}?probe=hello-http-0`, { [TOKEN_HEADER]: plan.token }, NODE_ADDRESS);
  assert.equal(res.status, 200, 'the sixth connection, the node\'s, is within the total cap');
});

test('floods: an HTTPS connection that never sends a ClientHello is closed after the handshake timeout', async (t) => {
  const { listener, httpsPort } = await start(t, { handshakeTimeoutMs: 200 });
  const silent = await open(httpsPort, HOST);
  const local = { address: HOST, port: silent.localPort ?? 0 };
  await closed(silent);
  const asProbe = { t: 'probe' as const, id: 'x', outcome: 'ok' as const, phase: 'body' as const, ms: 1, local };
  const record = await until(() => listener.ledger.connectionsFor([asProbe]).records.find((r) => r.tls !== 'pending'));
  assert.equal(record.tls, 'failed');
  await until(() => (listener.ledger.snapshot().strayCount === 1 ? true : undefined));
  assert.equal(listener.ledger.snapshot().straySummary[0]?.reason, CONNECTION_STRAY.empty);
});

test('floods: a slowloris (headers a byte at a time) and a silent HTTP client are cut by the header timeout', async (t) => {
  const { httpPort } = await start(t, { headersTimeoutMs: 300, checkIntervalMs: 100 });
  const silent = await open(httpPort, HOST);
  const loris = await open(httpPort, HOST);
  loris.write(`GET ${PATHS.hello} HTTP/1.1\r\nhost: x\r\n`);
  const drip = setInterval(() => loris.writable && loris.write('x'), 50);
  t.after(() => clearInterval(drip));
  await Promise.all([closed(silent), closed(loris)]);
  clearInterval(drip);
});
