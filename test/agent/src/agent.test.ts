/**
 * The reference agent, run as the controller runs it (test/helpers/agent-process.ts), against test-local
 * listeners on 127.0.0.1, one well-behaved and several that misbehave the way networks do (refuse,
 * never answer, stop mid-body, cut the body, corrupt it, intercept TLS).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { agentBundle } from '../../../controller/agents/deploy.js';
import { pythonAgentSource } from '../../../controller/agents/python.js';
import { createRunCertificate } from '../../../controller/wire/cert.js';
import type { RunCertificate } from '../../../controller/wire/cert.js';
import { PATHS, TOKEN_HEADER } from '../../../src/protocol.js';
import type { AgentFacts, Plan, PlannedProbe, ProbeResult } from '../../../src/protocol.js';
import { TEST_FLAVOURS, checkShape, resultOf, runAgent, runFlavour } from '../../helpers/agent-process.js';
import { startTestListener } from '../../helpers/listener-harness.js';
import { closedPort, serveOnLoopback } from '../../helpers/loopback-server.js';

const HOST = '127.0.0.1';
const TOKEN = 'test-token-0123456789';
const NODE_NAME = 'node-a';

const BLOB = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
const BLOB_SHA256 = createHash('sha256').update(BLOB).digest('hex');
/** Where the misbehaving servers stop or cut the body. */
const STALL_AT = 5_000;
const CUT_AT = 7_000;

function makePlan(probes: PlannedProbe[], pin: string, overrides: Partial<Plan> = {}): Plan {
  return {
    version: 1,
    runId: 'run-test',
    node: NODE_NAME,
    token: TOKEN,
    fingerprint256: pin,
    controllerAddresses: [HOST],
    probes,
    deadlines: { connectMs: 1000, stallMs: 800, probeMs: 3000, totalMs: 8000 },
    concurrency: 16,
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Test servers, all on 127.0.0.1 port 0, all closed in t.after


interface Ledger {
  /** Every request: path with query, token header, body. */
  requests: Array<{ method: string; url: string; token: string | undefined; body: string }>;
}

/** The listener contract: hello echoes the source, blob serves BLOB, status acknowledges. */
function contractHandler(ledger: Ledger): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      const token = req.headers[TOKEN_HEADER];
      ledger.requests.push({ method: req.method ?? '', url, token: typeof token === 'string' ? token : undefined, body: Buffer.concat(chunks).toString('utf8') });
      if (token !== TOKEN) {
        res.writeHead(403).end();
        return;
      }
      const path = url.split('?')[0];
      if (path === PATHS.hello && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ address: req.socket.remoteAddress, port: req.socket.remotePort, node: NODE_NAME }));
      } else if (path === PATHS.blob && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BLOB.length });
        res.end(BLOB);
      } else if (path === PATHS.status && req.method === 'POST') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      } else {
        res.writeHead(404).end();
      }
    });
  };
}

/** Reads the request head, then hands the raw socket over: for answers http.Server would not give. */
function rawHttpServer(afterRequest: (socket: net.Socket) => void): net.Server {
  return net.createServer((socket) => {
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      afterRequest(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
}

function blobHead(): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${BLOB.length}\r\n\r\n`;
}

// ---------------------------------------------------------------------------------------------

const cert: RunCertificate = await createRunCertificate([HOST]);
const otherCert: RunCertificate = await createRunCertificate([HOST], 'an interceptor');

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent reports every probe outcome with the phase it reached`, async (t) => {
  const good: Ledger = { requests: [] };
  const goodHttp = await serveOnLoopback(t, http.createServer(contractHandler(good)));
  const goodHttps = await serveOnLoopback(t, https.createServer({ cert: cert.certPem, key: cert.keyPem }, contractHandler(good)));

  const intercepted: Ledger = { requests: [] };
  const interceptor = await serveOnLoopback(t, https.createServer({ cert: otherCert.certPem, key: otherCert.keyPem }, contractHandler(intercepted)));

  const hung = await serveOnLoopback(t, net.createServer((socket) => socket.on('error', () => undefined)));
  const staller = await serveOnLoopback(t, rawHttpServer((socket) => socket.write(Buffer.concat([Buffer.from(blobHead()), BLOB.subarray(0, STALL_AT)]))));
  const cutter = await serveOnLoopback(t, rawHttpServer((socket) => socket.end(Buffer.concat([Buffer.from(blobHead()), BLOB.subarray(0, CUT_AT)]))));
  const wrongBlob = Buffer.from(BLOB);
  wrongBlob[1234] = (wrongBlob[1234] ?? 0) ^ 0xff;
  const corrupter = await serveOnLoopback(t, rawHttpServer((socket) => socket.end(Buffer.concat([Buffer.from(blobHead()), wrongBlob]))));
  const unavailable = await serveOnLoopback(t, rawHttpServer((socket) => socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n')));
  const hangUp = await serveOnLoopback(t, rawHttpServer((socket) => socket.end()));
  const refused = await closedPort();

  const download = { kind: 'download' as const, size: BLOB.length, sha256: BLOB_SHA256 };
  const probes: PlannedProbe[] = [
    { id: 'hello-http', kind: 'hello', proto: 'http', address: HOST, port: goodHttp },
    { id: 'hello-https', kind: 'hello', proto: 'https', address: HOST, port: goodHttps },
    { id: 'download-http', ...download, proto: 'http', address: HOST, port: goodHttp },
    { id: 'download-https', ...download, proto: 'https', address: HOST, port: goodHttps },
    { id: 'status-http', kind: 'status', proto: 'http', address: HOST, port: goodHttp, posts: 3, intervalMs: 50 },
    { id: 'refused', kind: 'hello', proto: 'http', address: HOST, port: refused },
    { id: 'no-response', kind: 'hello', proto: 'http', address: HOST, port: hung },
    { id: 'tls-hung', kind: 'hello', proto: 'https', address: HOST, port: hung },
    { id: 'stalled', ...download, proto: 'http', address: HOST, port: staller },
    { id: 'truncated', ...download, proto: 'http', address: HOST, port: cutter },
    { id: 'corrupt', ...download, proto: 'http', address: HOST, port: corrupter },
    { id: 'http-error', kind: 'hello', proto: 'http', address: HOST, port: unavailable },
    { id: 'status-failing', kind: 'status', proto: 'http', address: HOST, port: unavailable, posts: 2, intervalMs: 10 },
    { id: 'hang-up', kind: 'hello', proto: 'http', address: HOST, port: hangUp },
    { id: 'tls-to-plain', kind: 'hello', proto: 'https', address: HOST, port: goodHttp },
    { id: 'tls-mismatch', kind: 'hello', proto: 'https', address: HOST, port: interceptor },
    // TEST-NET-2: not an address of this host, so binding it fails before any packet is sent.
    { id: 'source-unavailable', kind: 'hello', proto: 'http', address: HOST, port: goodHttp, source: '198.51.100.77' },
  ];
  if (process.platform === 'linux') {
    // All of 127/8 is local on Linux: a second loopback source shows that `source` is bound.
    probes.push({ id: 'source-bound', kind: 'hello', proto: 'http', address: HOST, port: goodHttp, source: '127.0.0.2' });
  }
  const plan = makePlan(probes, cert.fingerprint256);
  const run = await runFlavour(flavour, plan);
  const results = checkShape(run, plan);
  const get = (id: string): ProbeResult => resultOf(results, id);

  await t.test('hello over http: ok, with the source the listener saw', () => {
    const r = get('hello-http');
    assert.equal(r.outcome, 'ok');
    assert.equal(r.phase, 'body');
    assert.equal(r.seen?.address, HOST);
    assert.equal(r.local?.address, HOST);
    assert.equal(r.seen?.port, r.local?.port, 'the listener saw our own end of the connection');
    assert.equal(r.httpStatus, 200);
    assert.ok((r.bytes ?? 0) > 0);
  });

  await t.test('hello over https: ok, with the pinned fingerprint', () => {
    const r = get('hello-https');
    assert.equal(r.outcome, 'ok');
    assert.equal(r.seen?.address, HOST);
    assert.equal(r.fingerprint, cert.fingerprint256);
  });

  await t.test('downloads: ok with every byte', () => {
    for (const id of ['download-http', 'download-https']) {
      const r = get(id);
      assert.equal(r.outcome, 'ok', id);
      assert.equal(r.phase, 'body', id);
      assert.equal(r.bytes, BLOB.length, id);
    }
  });

  await t.test('status: every post made, on its own connection, and acknowledged', () => {
    const r = get('status-http');
    assert.equal(r.outcome, 'ok');
    assert.equal(r.posts?.length, 3);
    assert.ok(r.posts?.every((p) => p.ok));
    const posts = good.requests.filter((q) => q.method === 'POST' && q.url.startsWith(`${PATHS.status}?probe=status-http&`));
    assert.deepEqual(posts.map((q) => q.url.split('&seq=')[1]), ['1', '2', '3']);
    assert.deepEqual(posts.map((q) => JSON.parse(q.body) as unknown), [1, 2, 3].map((seq) => ({ seq, state: 'probing', node: NODE_NAME })));
  });

  await t.test('every request to the real listener carried the token', () => {
    assert.ok(good.requests.length > 0);
    assert.ok(good.requests.every((q) => q.token === TOKEN));
  });

  await t.test('refused: connect phase, ECONNREFUSED', () => {
    const r = get('refused');
    assert.equal(r.outcome, 'refused');
    assert.equal(r.phase, 'connect');
    assert.equal(r.error?.code, 'ECONNREFUSED');
    assert.equal(r.local, undefined);
  });

  await t.test('a peer that accepts and never answers: no-response while waiting for the answer', () => {
    const r = get('no-response');
    assert.equal(r.outcome, 'no-response');
    assert.equal(r.phase, 'response');
    assert.equal(r.error?.code, 'TWOWAY_STALL');
    assert.equal(r.local?.address, HOST);
  });

  await t.test('a peer that never completes TLS: tls-error in the tls phase', () => {
    const r = get('tls-hung');
    assert.equal(r.outcome, 'tls-error');
    assert.equal(r.phase, 'tls');
    assert.equal(r.error?.code, 'TWOWAY_TLS_TIMEOUT');
  });

  await t.test('a body that stops arriving: stalled at the offset reached', () => {
    const r = get('stalled');
    assert.equal(r.outcome, 'stalled');
    assert.equal(r.phase, 'body');
    assert.equal(r.bytes, STALL_AT);
    assert.equal(r.httpStatus, 200);
  });

  await t.test('a connection closed mid-body: truncated with the bytes received', () => {
    const r = get('truncated');
    assert.equal(r.outcome, 'truncated');
    assert.equal(r.phase, 'body');
    assert.equal(r.bytes, CUT_AT);
  });

  await t.test('the right length with the wrong content: corrupt', () => {
    const r = get('corrupt');
    assert.equal(r.outcome, 'corrupt');
    assert.equal(r.phase, 'body');
    assert.equal(r.bytes, BLOB.length);
  });

  await t.test('a non-2xx answer: http-error with the status', () => {
    const r = get('http-error');
    assert.equal(r.outcome, 'http-error');
    assert.equal(r.phase, 'response');
    assert.equal(r.httpStatus, 503);
  });

  await t.test('status posts that fail: the first failure is the outcome, every post is listed', () => {
    const r = get('status-failing');
    assert.equal(r.outcome, 'http-error');
    assert.equal(r.httpStatus, 503);
    assert.deepEqual(r.posts?.map((p) => p.ok), [false, false]);
  });

  await t.test('a peer that closes instead of answering: reset, "socket hang up"', () => {
    const r = get('hang-up');
    assert.equal(r.outcome, 'reset');
    assert.equal(r.phase, 'response');
    assert.equal(r.error?.code, 'ECONNRESET');
    assert.match(r.error?.message ?? '', /hang up/);
  });

  await t.test('TLS to a plain HTTP port: tls-error', () => {
    const r = get('tls-to-plain');
    assert.equal(r.outcome, 'tls-error');
    assert.equal(r.phase, 'tls');
    assert.equal(r.fingerprint, undefined);
  });

  await t.test('another certificate: tls-mismatch, and the interceptor got no request', () => {
    const r = get('tls-mismatch');
    assert.equal(r.outcome, 'tls-mismatch');
    assert.equal(r.phase, 'tls');
    assert.equal(r.fingerprint, otherCert.fingerprint256);
    assert.equal(intercepted.requests.length, 0);
  });

  await t.test('a source address the node does not have: unreachable, before any traffic', () => {
    const r = get('source-unavailable');
    assert.equal(r.outcome, 'unreachable');
    assert.equal(r.phase, 'connect');
    assert.equal(r.error?.code, 'EADDRNOTAVAIL');
  });

  await t.test('a planned source address is bound', { skip: process.platform !== 'linux' }, () => {
    const r = get('source-bound');
    assert.equal(r.outcome, 'ok');
    assert.equal(r.local?.address, '127.0.0.2');
    assert.equal(r.seen?.address, '127.0.0.2');
  });

  await t.test('facts: the route to the controller address and its interface', () => {
    const facts = run.events[1] as AgentFacts;
    assert.ok(facts.hostname.length > 0);
    assert.ok(facts.addresses.every((a) => a.family === 'IPv4' || a.family === 'IPv6'));
    assert.deepEqual(facts.routes.map((r) => [r.to, r.source]), [[HOST, HOST]]);
    assert.equal(typeof facts.routes[0]?.iface, 'string');
  });

  await t.test('the slowest probe set the pace, not a hang', () => {
    // A hang would have lasted until the agent deadline, which would have ended it with its code.
    assert.deepEqual([...results.values()].filter((r) => r.error?.code === 'TWOWAY_AGENT_DEADLINE').map((r) => r.id), [], `agent took ${run.ms} ms`);
  });
});

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent deadline: every unfinished probe is reported where it stands`, async (t) => {
  const good: Ledger = { requests: [] };
  const goodHttp = await serveOnLoopback(t, http.createServer(contractHandler(good)));
  const hung = await serveOnLoopback(t, net.createServer((socket) => socket.on('error', () => undefined)));
  const staller = await serveOnLoopback(t, rawHttpServer((socket) => socket.write(Buffer.concat([Buffer.from(blobHead()), BLOB.subarray(0, STALL_AT)]))));

  const plan = makePlan(
    [
      { id: 'waiting', kind: 'hello', proto: 'http', address: HOST, port: hung },
      { id: 'mid-body', kind: 'download', size: BLOB.length, sha256: BLOB_SHA256, proto: 'http', address: HOST, port: staller },
      // Posts at about 0, 250 and 500 ms; the deadline comes during the pause after the third.
      { id: 'status-cut', kind: 'status', proto: 'http', address: HOST, port: goodHttp, posts: 5, intervalMs: 250 },
      { id: 'queued', kind: 'hello', proto: 'http', address: HOST, port: goodHttp },
    ],
    cert.fingerprint256,
    // Stall and probe deadlines far beyond the agent's: only the agent deadline can end these.
    { concurrency: 3, deadlines: { connectMs: 1000, stallMs: 10_000, probeMs: 10_000, totalMs: 700 } },
  );
  const run = await runFlavour(flavour, plan);
  const results = checkShape(run, plan);

  const waiting = resultOf(results, 'waiting');
  assert.equal(waiting.outcome, 'no-response');
  assert.equal(waiting.phase, 'response');
  assert.equal(waiting.error?.code, 'TWOWAY_AGENT_DEADLINE');

  const midBody = resultOf(results, 'mid-body');
  assert.equal(midBody.outcome, 'stalled');
  assert.equal(midBody.phase, 'body');
  assert.equal(midBody.bytes, STALL_AT);

  // On a slow machine the deadline may cut a post instead of a pause; either way the probe is not
  // ok, says why, and lists the posts that were made.
  const statusCut = resultOf(results, 'status-cut');
  assert.notEqual(statusCut.outcome, 'ok');
  assert.equal(statusCut.error?.code, 'TWOWAY_AGENT_DEADLINE');
  const posts = statusCut.posts ?? [];
  assert.ok(posts.length >= 1 && posts.length < 5, `${posts.length} posts`);

  const queued = resultOf(results, 'queued');
  assert.equal(queued.outcome, 'error');
  assert.equal(queued.error?.code, 'TWOWAY_NOT_STARTED');
  assert.ok(!good.requests.some((q) => q.url.includes('probe=queued')), 'a probe that never started sent nothing');

  // Ended by its own deadline (700 ms), not by the probes' (10 s); the margin is not what this is about.
  assert.ok(run.ms < 10_000, `agent exited ${run.ms} ms after start, deadline 700 ms`);
});

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent without a usable plan: one fatal line and exit 1`, async () => {
  // The script without the plan the controller puts in front of it.
  const missing = await runAgent(flavour === 'node' ? agentBundle() : pythonAgentSource(), flavour);
  assert.equal(missing.code, 1);
  assert.equal(missing.events.length, 1);
  assert.equal(missing.events[0]?.t, 'fatal');

  const skewed = { ...makePlan([], cert.fingerprint256), version: 99 } as unknown as Plan;
  const invalid = await runFlavour(flavour, skewed);
  assert.equal(invalid.code, 1);
  assert.deepEqual(
    invalid.events.map((e) => e.t),
    ['fatal'],
  );
  const fatal = invalid.events[0];
  assert.ok(fatal?.t === 'fatal' && fatal.message.includes('version'));
});

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent with nothing to probe still reports facts and done`, async () => {
  const plan = makePlan([], cert.fingerprint256);
  const run = await runFlavour(flavour, plan);
  checkShape(run, plan);
});

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent reports the node's listening sockets: a listener it can see, not a closed port`, async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  t.after(() => server.close());
  const open = (server.address() as net.AddressInfo).port;
  const closed = await closedPort();
  const run = await runFlavour(flavour, makePlan([], cert.fingerprint256));
  const table = run.events.find((e) => e.t === 'halfopen');
  assert.ok(table?.t === 'halfopen' && table.listening?.measured === true, JSON.stringify(table));
  assert.ok(table.listening.sockets.some((l) => l.address === HOST && l.port === open), `${HOST}:${open} listed`);
  assert.ok(!table.listening.sockets.some((l) => l.port === closed), `closed port ${closed} not listed`);
});

test('node agent with a wrong token against the real listener: every request gets 403 and counts as stray, every probe fails', async (t) => {
  const { listener, tokens, cert: runCert, setPlan } = await startTestListener(t, HOST);
  const token = tokens.tokenFor(NODE_NAME);
  const http = { proto: 'http' as const, address: HOST, port: listener.portFor('http') };
  const probes: PlannedProbe[] = [
    { ...http, id: 'hello-http', kind: 'hello' },
    { id: 'hello-https', kind: 'hello', proto: 'https', address: HOST, port: listener.portFor('https') },
    { ...http, id: 'status-http', kind: 'status', posts: 2, intervalMs: 10 },
  ];
  // The listener checks against the node's real token; the agent is sent one a digit off.
  const plan = setPlan(makePlan(probes, runCert.fingerprint256, { token }));
  const run = await runFlavour('node', { ...plan, token: `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}` });
  const results = checkShape(run, plan);
  for (const probe of probes) {
    const r = resultOf(results, probe.id);
    assert.deepEqual([r.outcome, r.phase, r.httpStatus], ['http-error', 'response', 403], probe.id);
  }
  assert.deepEqual(resultOf(results, 'status-http').posts?.map((p) => p.ok), [false, false]);
  const snap = listener.ledger.snapshot();
  assert.deepEqual(snap.stray.map((s) => s.reason), ['unknown token', 'unknown token', 'unknown token', 'unknown token'], 'two hellos and two posts');
  assert.equal(snap.strayCount, 4);
  assert.deepEqual(snap.requests, []);
  // The listener has each probe's connection, found again through the agent's end of it.
  const { records } = listener.ledger.connectionsFor(run.events);
  for (const probe of probes) {
    const local = resultOf(results, probe.id).local;
    const record = records.find((c) => c.peer.address === local?.address && c.peer.port === local.port);
    assert.equal(record?.listener.port, probe.port, probe.id);
    assert.equal(record?.tls, probe.proto === 'https' ? 'completed' : undefined, probe.id);
  }
});

test('agent: /proc/net/tcp SYN_RECV lines decode to half-open endpoints', async () => {
  const { parseProcNetTcp } = await import('../../../src/proc-net-tcp.js');
  const v4 =
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
    '   0: 0204E70A:0016 0100E70A:A0B4 03 00000000:00000000 02:00000064 00000000     0        0 0\n' +
    '   1: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n';
  assert.deepEqual(parseProcNetTcp(v4, false), [{ local: { address: '10.231.4.2', port: 22 }, remote: { address: '10.231.0.1', port: 41140 } }]);
  const v6 =
    '  sl  local_address                         remote_address                        st\n' +
    '   0: 0000000000000000FFFF00000204E70A:01BB 0000000000000000FFFF00000100E70A:C350 03 0\n' +
    '   1: 00000000000000000000000001000000:0016 00000000000000000000000001000000:9C40 03 0\n';
  assert.deepEqual(parseProcNetTcp(v6, true), [
    { local: { address: '10.231.4.2', port: 443 }, remote: { address: '10.231.0.1', port: 50000 } },
    { local: { address: '0:0:0:0:0:0:0:1', port: 22 }, remote: { address: '0:0:0:0:0:0:0:1', port: 40000 } },
  ]);
});
