/**
 * Issue 14 item 3 and issue 13 item 3 in the agents, on loopback: a path's first stalled transfer is
 * tried once more after the probes still waiting (marked ?attempt=2), and its result goes out as a
 * retry line; after it the agent bisects the path MTU toward that controller address with DF-set
 * echoes where iputils ping is installed. Healthy runs retry nothing and send no echo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as http from 'node:http';
import * as net from 'node:net';
import { PATHS } from '../../../src/protocol.js';
import type { AgentPathMtu, Plan, PlannedProbe } from '../../../src/protocol.js';
import { TEST_FLAVOURS, checkShape, resultOf, retriesOf, runFlavour } from '../../helpers/agent-process.js';
import { afterRequestHead, serveOnLoopback } from '../../helpers/loopback-server.js';

const HOST = '127.0.0.1';
const TOKEN = 'test-token-0123456789';
const BLOB = Buffer.from(Array.from({ length: 120_000 }, (_, i) => (i * 13 + (i >> 7)) & 0xff));
const BLOB_SHA256 = createHash('sha256').update(BLOB).digest('hex');
const STALL_AT = 4_000;
const HEAD = `HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${BLOB.length}\r\n\r\n`;

/** iputils ping can set DF (-M do); busybox's cannot, and then the agents say so. */
const IPUTILS_PING = /iputils/.test(spawnSync('ping', ['-V'], { encoding: 'utf8' }).stdout ?? '');

function makePlan(probes: PlannedProbe[]): Plan {
  return {
    version: 1,
    runId: 'run-retry',
    node: 'node-a',
    token: TOKEN,
    fingerprint256: 'AA:BB',
    controllerAddresses: [HOST],
    probes,
    deadlines: { connectMs: 1000, stallMs: 600, probeMs: 3000, totalMs: 20_000 },
    // One at a time: the order of the lines is the order the agent ran the probes in.
    concurrency: 1,
  };
}

/**
 * A blob server that records each request's query and stalls a download after STALL_AT bytes
 * unless `whole(query)` says to serve all of it.
 */
async function blobServer(t: Parameters<typeof serveOnLoopback>[0], whole: (query: string) => boolean): Promise<{ port: number; queries: string[] }> {
  const queries: string[] = [];
  const server = net.createServer(
    afterRequestHead((socket, query) => {
      queries.push(query);
      if (whole(query)) socket.end(Buffer.concat([Buffer.from(HEAD), BLOB]));
      else socket.write(Buffer.concat([Buffer.from(HEAD), BLOB.subarray(0, STALL_AT)]));
    }),
  );
  server.on('connection', (socket) => socket.on('error', () => undefined));
  return { port: await serveOnLoopback(t, server), queries };
}

const download = (id: string, port: number): PlannedProbe => ({ id, kind: 'download', size: BLOB.length, sha256: BLOB_SHA256, proto: 'http', address: HOST, port });

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent retries a path's first stalled transfer once, after the probes still waiting, and bisects the path MTU from the node`, async (t) => {
  // Stalls the first attempt, serves the retry whole: a transient outage.
  const flaky = await blobServer(t, (q) => q.includes('attempt=2'));
  // Stalls every attempt: a size limit.
  const limit = await blobServer(t, () => false);
  const good = await blobServer(t, () => true);
  const plan = makePlan([download('dl-flaky', flaky.port), download('dl-limit', limit.port), download('dl-limit-again', limit.port), download('dl-good', good.port)]);
  const run = await runFlavour(flavour, plan);
  const results = checkShape(run, plan);
  const retries = retriesOf(run);

  assert.deepEqual([...retries.keys()].sort(), ['dl-flaky', 'dl-limit'], "one retry per path, for its first stuck transfer; nothing that passed");
  assert.equal(resultOf(results, 'dl-flaky').outcome, 'stalled');
  assert.deepEqual([retries.get('dl-flaky')?.outcome, retries.get('dl-flaky')?.bytes], ['ok', BLOB.length], 'the outage is over: the retry passes whole');
  assert.deepEqual([retries.get('dl-limit')?.outcome, retries.get('dl-limit')?.bytes], ['stalled', STALL_AT], 'the size limit stalls the retry at the same offset');
  assert.deepEqual(flaky.queries, ['?probe=dl-flaky', '?probe=dl-flaky&attempt=2'], 'the retry is marked attempt 2, the first attempt is not');
  assert.deepEqual(limit.queries, ['?probe=dl-limit', '?probe=dl-limit-again', '?probe=dl-limit&attempt=2']);

  const order = run.events.map((e) => (e.t === 'probe' || e.t === 'retry' ? `${e.t} ${e.id}` : e.t));
  assert.ok(order.indexOf('retry dl-flaky') > order.indexOf('probe dl-good'), `the retries run after the probes still waiting: ${order.join(', ')}`);

  const mtu = run.events.filter((e): e is AgentPathMtu => e.t === 'pathmtu');
  assert.equal(mtu.length, 1, 'one bisection per controller address');
  assert.equal(mtu[0]?.to, HOST);
  assert.ok(order.indexOf('pathmtu') > order.indexOf('retry dl-limit'), 'the bisection comes after the retries');
  assert.match(mtu[0]?.command ?? '', /^ping -n -M do -s \d+ -c 1 -W 1 127\.0\.0\.1$/);
  if (IPUTILS_PING) {
    // Loopback carries the largest packet there is: the ceiling passes, after the floor.
    assert.deepEqual([mtu[0]?.measured, mtu[0]?.mtu, mtu[0]?.interfaceMtu], [true, 65535, 65535]);
    assert.deepEqual(mtu[0]?.probes, [{ size: 576, ok: true }, { size: 65535, ok: true }]);
  } else {
    assert.equal(mtu[0]?.measured, false);
    assert.match(mtu[0]?.reason ?? '', /ping/);
  }
});

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent on a healthy path retries nothing and sends no echo`, async (t) => {
  const good = await blobServer(t, () => true);
  const hello = await serveOnLoopback(t, http.createServer((req, res) => res.writeHead(req.url?.startsWith(PATHS.hello) === true ? 200 : 404).end('{}')));
  const plan = makePlan([download('dl-1', good.port), download('dl-2', good.port), { id: 'hello', kind: 'hello', proto: 'http', address: HOST, port: hello }]);
  const run = await runFlavour(flavour, plan);
  const results = checkShape(run, plan);
  assert.deepEqual([resultOf(results, 'dl-1').outcome, resultOf(results, 'dl-2').outcome], ['ok', 'ok']);
  assert.deepEqual(run.events.filter((e) => e.t === 'retry' || e.t === 'pathmtu'), []);
  assert.deepEqual(good.queries, ['?probe=dl-1', '?probe=dl-2']);
});

const BUSYBOX = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent where ping is busybox's (no -M do): the node's path MTU is not measured, and says why`, { skip: BUSYBOX === '' ? 'no busybox here' : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-busybox-ping-'));
  symlinkSync(BUSYBOX, join(dir, 'ping'));
  const saved = process.env.PATH;
  process.env.PATH = `${dir}:${saved ?? ''}`;
  t.after(() => {
    process.env.PATH = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  const limit = await blobServer(t, () => false);
  const plan = makePlan([download('dl-limit', limit.port)]);
  const run = await runFlavour(flavour, plan);
  checkShape(run, plan);
  const mtu = run.events.filter((e): e is AgentPathMtu => e.t === 'pathmtu');
  assert.deepEqual(mtu.map((m) => [m.to, m.measured, m.mtu, m.probes.length]), [[HOST, false, undefined, 0]]);
  assert.match(mtu[0]?.reason ?? '', /not iputils ping \(busybox\?\): it cannot set DF/);
});
