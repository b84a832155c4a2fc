/**
 * The TCP_INFO sampler (controller/host/tcp-info-sampler.ts) on real loopback connections: its one
 * shell loop sees a connection's bytes while it lasts, and is gone once the sampler stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { TcpInfoSampler } from '../../../controller/host/tcp-info-sampler.js';

const BYTES = 256 * 1024;
/** Bounds the waits below; each ends on what it waits for long before. */
const BOUND_MS = 10_000;

/** The sampler's loop, found as the one child of this process running sh with the sampler's end line. */
function samplerLoops(): number[] {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.filter((pid) => existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('@twoway-sample-end@'));
}

test('tcp-info sampler: one loop samples a loopback connection while it is open, and is gone after stop', async (t) => {
  const accepted: Socket[] = [];
  const server = createServer((s) => {
    accepted.push(s);
    s.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  t.after(() => {
    for (const s of accepted) s.destroy();
    server.close();
  });

  const sampler = new TcpInfoSampler([port], 50);
  sampler.start();
  const client = connect(port, '127.0.0.1');
  t.after(() => client.destroy());
  await once(client, 'connect');
  client.write(Buffer.alloc(BYTES, 1));

  const local = client.address() as AddressInfo;
  let seen = sampler.view().forPath('127.0.0.1', port);
  for (const deadline = Date.now() + BOUND_MS; (seen?.bytesReceived ?? 0) < BYTES && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 50));
    seen = sampler.view().forPath('127.0.0.1', port);
  }
  assert.ok(seen, `the connection from port ${local.port} was sampled while open`);
  assert.equal(seen.connections, 1);
  assert.equal(seen.bytesReceived, BYTES, 'the listener side received every byte the client wrote');
  assert.equal(samplerLoops().length, 1, 'one loop, not one ss per sample');

  const view = await sampler.stop();
  assert.equal(view.measured, true);
  assert.deepEqual(samplerLoops(), [], 'the loop ended with the sampler');
});

test('tcp-info sampler: without a working ss nothing is measured, and stop still ends', async () => {
  const sampler = new TcpInfoSampler([1], 50, ['/nonexistent/ss']);
  sampler.start();
  const view = await sampler.stop();
  assert.equal(view.measured, false);
  assert.equal(view.forPath('127.0.0.1', 1), undefined);
  assert.deepEqual(samplerLoops(), []);
});
