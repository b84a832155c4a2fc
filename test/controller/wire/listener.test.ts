/** The callback listener on loopback: authentication, stray accounting, bounded bodies, the ledger. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import * as http from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import * as tls from 'node:tls';
import { Agent, request } from 'undici';
import { WebSocket } from 'ws';
import { BlobStore, uploadContent } from '../../../controller/wire/blobs.js';
import { createRunCertificate } from '../../../controller/wire/cert.js';
import { CallbackListener, type ListenerOptions } from '../../../controller/wire/listener.js';
import { RunTokens } from '../../../controller/wire/tokens.js';
import type { LedgerConnection } from '../../../controller/wire/ledger.js';
import { HOLD_MESSAGES, MAX_STATUS_BODY_BYTES, PATHS, PROTOCOL_VERSION, TOKEN_HEADER, type Endpoint, type Plan, type PlannedProbe } from '../../../src/protocol.js';
import { SetupError } from '../../../src/errors.js';
import { startTestListener } from '../../helpers/listener-harness.js';

const HOST = '127.0.0.1';
const UPLOAD_SIZE = 100_000;

/** The probes a node's plan holds, on the listener's ports (written out, so the listener is tested on its own). */
/** Polls `found` every 20 ms until it returns something (at most 100 times). */
async function until<T>(found: () => T | undefined): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = found();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  return assert.fail('not within 100 polls');
}

function probesFor(ports: { http: number; https: number; altHttp?: number }, blobs: BlobStore): PlannedProbe[] {
  const http = { proto: 'http' as const, address: HOST, port: ports.http };
  const https = { proto: 'https' as const, address: HOST, port: ports.https };
  const probes: PlannedProbe[] = [
    { ...http, id: 'hello-http-0', kind: 'hello' },
    { ...https, id: 'hello-https-0', kind: 'hello' },
    { ...http, id: 'dl-http-0-65536', kind: 'download', size: 65536, sha256: blobs.get(65536).sha256 },
    { ...http, id: 'ul-http-0', kind: 'upload', size: UPLOAD_SIZE, sha256: blobs.uploadSha256(UPLOAD_SIZE) },
    { ...http, id: 'status-http-0', kind: 'status', posts: 1, intervalMs: 10 },
    { ...http, id: 'hold-http-0', kind: 'hold', holdMs: 200 },
  ];
  if (ports.altHttp !== undefined) {
    probes.push({ ...http, port: ports.altHttp, id: 'alt-http-0', kind: 'hello', alternate: true });
    // Planned for an alternate port other than the one bound.
    probes.push({ ...http, port: ports.altHttp === 1 ? 2 : 1, id: 'alt-http-elsewhere', kind: 'hello', alternate: true });
  }
  return probes;
}

async function startListener(t: { after: (fn: () => Promise<void>) => void }, extra: Partial<ListenerOptions> = {}) {
  const { listener, tokens, blobs, cert, setPlan } = await startTestListener(t, HOST, extra);
  const altHttp = listener.alternates().http;
  const ports = { http: listener.portFor('http'), https: listener.portFor('https'), ...(altHttp === undefined ? {} : { altHttp }) };
  const plan: Plan = {
    version: PROTOCOL_VERSION,
    runId: 't',
    node: 'web1',
    token: tokens.tokenFor('web1'),
    fingerprint256: cert.fingerprint256,
    controllerAddresses: [HOST],
    probes: probesFor(ports, blobs),
    deadlines: { connectMs: 1000, stallMs: 1000, probeMs: 5000, totalMs: 10_000 },
    concurrency: 2,
  };
  setPlan(plan);
  const base = `http://${HOST}:${listener.portFor('http')}`;
  return { listener, plan, base, cert, blobs };
}

test('listener: hello answers the source the controller saw, and the ledger records it', async (t) => {
  const { listener, plan, base } = await startListener(t);
  const res = await request(`${base}${PATHS.hello}?probe=hello-http-0`, { headers: { [TOKEN_HEADER]: plan.token } });
  assert.equal(res.statusCode, 200);
  const body = (await res.body.json()) as { address: string; port: number; node: string };
  assert.equal(body.address, '127.0.0.1');
  assert.equal(body.node, 'web1');
  assert.ok(body.port > 0);
  const [entry] = listener.ledger.forNode('web1');
  assert.equal(entry?.probe, 'hello-http-0');
  assert.deepEqual(entry?.peer, { address: '127.0.0.1', port: body.port });
  assert.equal(entry?.completed, true);
});

test('listener: a download carries exactly the planned bytes, and the ledger counts them', async (t) => {
  const { listener, plan, base, blobs } = await startListener(t);
  const res = await request(`${base}${PATHS.blob}?probe=dl-http-0-65536`, { headers: { [TOKEN_HEADER]: plan.token } });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  assert.equal(bytes.length, 65536);
  assert.ok(bytes.equals(blobs.get(65536).bytes));
  // The client may have every byte before the listener records the response as finished: wait for that.
  const entry = await until(() => listener.ledger.forNode('web1').find((r) => r.probe === 'dl-http-0-65536' && r.completed));
  assert.equal(entry.bytesWritten, 65536);
  assert.equal(entry.completed, true);
});

/** A token one hex digit away from the real one: always different, whatever its last digit is. */
function withLastDigitChanged(token: string): string {
  const last = token.at(-1) === '0' ? '1' : '0';
  return `${token.slice(0, -1)}${last}`;
}

test('listener: missing, forged and misused tokens get 403 and count as stray', async (t) => {
  const { listener, plan, base } = await startListener(t);
  const attempts: [string, Record<string, string>][] = [
    [`${PATHS.hello}?probe=hello-http-0`, {}],
    [`${PATHS.hello}?probe=hello-http-0`, { [TOKEN_HEADER]: 'f'.repeat(64) }],
    [`${PATHS.hello}?probe=hello-http-0`, { [TOKEN_HEADER]: withLastDigitChanged(plan.token) }],
    [`${PATHS.hello}?probe=no-such-probe`, { [TOKEN_HEADER]: plan.token }],
    [`${PATHS.blob}?probe=hello-http-0`, { [TOKEN_HEADER]: plan.token }],
    [`${PATHS.hello}?probe=hello-https-0`, { [TOKEN_HEADER]: plan.token }],
  ];
  for (const [path, headers] of attempts) {
    const res = await request(`${base}${path}`, { headers });
    await res.body.dump();
    assert.equal(res.statusCode, 403, path);
  }
  const snap = listener.ledger.snapshot();
  assert.equal(snap.strayCount, attempts.length);
  assert.deepEqual(snap.requests, []);
  assert.match(snap.stray[0]!.reason, /missing token/);
  assert.match(snap.stray[1]!.reason, /unknown token/);
});

test('listener: a status body over the limit gets 413', async (t) => {
  const { plan, base } = await startListener(t);
  const res = await request(`${base}${PATHS.status}?probe=status-http-0&seq=1`, {
    method: 'POST',
    headers: { [TOKEN_HEADER]: plan.token },
    body: Buffer.alloc(MAX_STATUS_BODY_BYTES + 1, 0x61),
  });
  await res.body.dump();
  assert.equal(res.statusCode, 413);
});

test('listener: HTTPS serves the run certificate the plan pins', async (t) => {
  const { listener, plan, cert } = await startListener(t);
  let served = '';
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  t.after(() => dispatcher.close());
  await new Promise<void>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: listener.portFor('https'), rejectUnauthorized: false }, () => {
      served = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
  // The pin the agent checks is the fingerprint of what the listener serves, computed here from the
  // certificate's own bytes rather than taken from the RunCertificate that reports it.
  assert.equal(served, new X509Certificate(cert.certPem).fingerprint256);
  assert.equal(served, plan.fingerprint256);
  const res = await request(`https://127.0.0.1:${listener.portFor('https')}${PATHS.hello}?probe=hello-https-0`, {
    headers: { [TOKEN_HEADER]: plan.token },
    dispatcher,
  });
  assert.equal(res.statusCode, 200);
  await res.body.dump();
});

test('listener: a port in use is a clear setup error', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as { port: number }).port;
  const listener = new CallbackListener({
    addresses: ['127.0.0.1'],
    httpPort: port,
    httpsPort: 0,
    cert: await createRunCertificate(['127.0.0.1']),
    tokens: new RunTokens(),
    blobs: new BlobStore(),
    findProbe: () => undefined,
  });
  await assert.rejects(listener.start(), (err: unknown) => err instanceof SetupError && /127\.0\.0\.1:\d+: the port is in use/.test(err.message));
});

test('listener: an upload of the planned content gets 200, and the ledger counts every byte', async (t) => {
  const { listener, plan, base } = await startListener(t);
  const res = await request(`${base}${PATHS.upload}?probe=ul-http-0`, { method: 'POST', headers: { [TOKEN_HEADER]: plan.token }, body: uploadContent(UPLOAD_SIZE) });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(await res.body.json(), { bytes: UPLOAD_SIZE, sha256ok: true });
  const entry = listener.ledger.forNode('web1').find((r) => r.probe === 'ul-http-0');
  assert.equal(entry?.method, 'POST');
  assert.equal(entry?.bytesPlanned, UPLOAD_SIZE);
  assert.equal(entry?.bytesReceived, UPLOAD_SIZE);
  assert.equal(entry?.completed, true);
});

test('listener: an upload with other content gets 422 and sha256ok false', async (t) => {
  const { listener, plan, base } = await startListener(t);
  const body = uploadContent(UPLOAD_SIZE);
  body[UPLOAD_SIZE - 1] = 0x21;
  const res = await request(`${base}${PATHS.upload}?probe=ul-http-0`, { method: 'POST', headers: { [TOKEN_HEADER]: plan.token }, body });
  assert.equal(res.statusCode, 422);
  assert.deepEqual(await res.body.json(), { bytes: UPLOAD_SIZE, sha256ok: false });
  assert.equal(listener.ledger.forNode('web1')[0]?.bytesReceived, UPLOAD_SIZE);
});

test('listener: status posts are in the ledger with their seq', async (t) => {
  const { listener, plan, base } = await startListener(t);
  for (const seq of ['2', '1', 'x']) {
    const res = await request(`${base}${PATHS.status}?probe=status-http-0&seq=${seq}`, { method: 'POST', headers: { [TOKEN_HEADER]: plan.token }, body: '{}' });
    assert.equal(res.statusCode, 200);
    await res.body.dump();
  }
  assert.deepEqual(listener.ledger.forNode('web1').map((r) => r.seq), [2, 1, undefined]);
});

test('listener: a status post busybox wget sent through the listener as its proxy (absolute form, GET with a body) is a post; in origin form it is not', async (t) => {
  const { listener, plan } = await startListener(t);
  const port = listener.portFor('http');
  const credentials = Buffer.from(`${TOKEN_HEADER}:${plan.token}`).toString('base64');
  const post = (target: string) =>
    rawExchange(port, Buffer.from(`GET ${target} HTTP/1.1\r\nhost: ${HOST}:${port}\r\nproxy-authorization: Basic ${credentials}\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}`));
  assert.match(await post(`http://${HOST}:${port}${PATHS.status}?probe=status-http-0&seq=1`), /^HTTP\/1\.1 200/);
  assert.match(await post(`${PATHS.status}?probe=status-http-0&seq=2`), /^HTTP\/1\.1 403/);
  assert.deepEqual(listener.ledger.forNode('web1').map((r) => [r.method, r.seq]), [['POST', 1]]);
  assert.deepEqual(listener.ledger.snapshot().straySummary.map((s) => s.reason), [`probe status-http-0 does not match GET ${PATHS.status}`]);
});

/** Sends raw bytes and collects everything that comes back until the listener closes. */
function rawExchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, HOST);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the listener did not close the connection; got ${JSON.stringify(answer)}`));
    }, 3000);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    // The listener may reset what it did not read; what it answered first still counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(bytes);
  });
}

test('listener: an upload longer than planned gets 413 and the connection closes', async (t) => {
  const { listener, plan } = await startListener(t);
  const port = listener.portFor('http');
  const over = UPLOAD_SIZE + 10;
  // Announced by Content-Length: refused before any of the body is sent.
  const head = `POST ${PATHS.upload}?probe=ul-http-0 HTTP/1.1\r\nhost: x\r\n${TOKEN_HEADER}: ${plan.token}\r\ncontent-length: ${over}\r\n\r\n`;
  const announced = await rawExchange(port, Buffer.from(head));
  assert.match(announced, /^HTTP\/1\.1 413 /);
  // Chunked: found out while counting.
  const chunkedHead = `POST ${PATHS.upload}?probe=ul-http-0 HTTP/1.1\r\nhost: x\r\n${TOKEN_HEADER}: ${plan.token}\r\ntransfer-encoding: chunked\r\n\r\n`;
  const chunk = `${over.toString(16)}\r\n${'a'.repeat(over)}\r\n0\r\n\r\n`;
  const counted = await rawExchange(port, Buffer.from(chunkedHead + chunk));
  assert.match(counted, /^HTTP\/1\.1 413 /);
  const entries = listener.ledger.forNode('web1');
  assert.equal(entries.length, 2);
  assert.ok((entries[1]?.bytesReceived ?? 0) > UPLOAD_SIZE, 'the chunked upload was counted past the planned size');
});

test('listener: a request Node cannot parse gets 400 (431 for headers over the limit), closes, and counts as stray', async (t) => {
  const { listener } = await startListener(t);
  const port = listener.portFor('http');
  const garbage = await rawExchange(port, Buffer.from('\x16\x03\x01 not http at all\r\n\r\n', 'latin1'));
  assert.match(garbage, /^HTTP\/1\.1 400 Bad Request\r\n/);
  const huge = await rawExchange(port, Buffer.from(`GET ${PATHS.hello} HTTP/1.1\r\nhost: x\r\nx-filler: ${'a'.repeat(16 * 1024)}\r\n\r\n`));
  assert.match(huge, /^HTTP\/1\.1 431 /);
  const snap = listener.ledger.snapshot();
  assert.equal(snap.strayCount, 2);
  assert.deepEqual(
    snap.stray.map((s) => s.reason),
    ['malformed: HPE_INVALID_METHOD', 'malformed: HPE_HEADER_OVERFLOW'],
  );
  assert.equal(snap.stray[0]?.peer.address, HOST);
  assert.deepEqual(snap.requests, []);
});

test('listener: an admitted upload whose sender gives up mid-body is no stray request', async (t) => {
  const { listener, plan } = await startListener(t);
  const head = `POST ${PATHS.upload}?probe=ul-http-0 HTTP/1.1\r\nhost: x\r\n${TOKEN_HEADER}: ${plan.token}\r\ncontent-length: ${UPLOAD_SIZE}\r\n\r\n`;
  await new Promise<void>((resolve, reject) => {
    const socket = connect(listener.portFor('http'), HOST);
    const timer = setTimeout(() => reject(new Error('the listener did not close the connection')), 3000);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    // Half the body, then FIN: what an agent does when its upload stalls and it stops.
    socket.end(Buffer.concat([Buffer.from(head), uploadContent(UPLOAD_SIZE).subarray(0, UPLOAD_SIZE / 2)]));
  });
  const snap = listener.ledger.snapshot();
  assert.equal(snap.strayCount, 0, JSON.stringify(snap.stray));
  assert.equal(snap.requests.length, 1);
  assert.equal(snap.requests[0]?.completed, false);
});

/**
 * A connection to the listener (TLS when `tlsOptions` is given): `use` drives it once it is open;
 * resolves with its local end once it has closed, however it ended.
 */
function connection(port: number, use: (socket: Socket) => void, tlsOptions?: tls.ConnectionOptions): Promise<Endpoint> {
  return new Promise((resolve, reject) => {
    const socket = tlsOptions === undefined ? connect(port, HOST) : tls.connect({ host: HOST, port, rejectUnauthorized: false, ...tlsOptions });
    let local: Endpoint | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the connection did not close within 3 s'));
    }, 3000);
    socket.once('connect', () => (local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 }));
    socket.once(tlsOptions === undefined ? 'connect' : 'secureConnect', () => use(socket));
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      if (local === undefined) reject(new Error('the connection never connected'));
      else resolve(local);
    });
  });
}

/** The listener's record of the connection from `local`, once `settled` holds for it (bounded wait). */
async function recordFrom(listener: CallbackListener, local: Endpoint, settled: (c: LedgerConnection) => boolean): Promise<LedgerConnection> {
  const asProbe = { t: 'probe' as const, id: 'x', outcome: 'ok' as const, phase: 'body' as const, ms: 1, local };
  for (let i = 0; i < 100; i++) {
    const [record] = listener.ledger.connectionsFor([asProbe]).records;
    if (record !== undefined && settled(record)) return record;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`no settled record from ${local.address}:${local.port}: ${JSON.stringify(listener.ledger.connectionsFor([asProbe]))}`);
}

test('listener: every accepted connection is in the ledger with its peer, port and TLS outcome, request or not', async (t) => {
  const { listener } = await startListener(t);
  const httpPort = listener.portFor('http');
  const httpsPort = listener.portFor('https');

  const silent = await connection(httpPort, (s) => s.end());
  const plain = await recordFrom(listener, silent, () => true);
  assert.deepEqual([plain.proto, plain.peer, plain.listener.port, plain.tls], ['http', silent, httpPort, undefined]);

  const secured = await connection(httpsPort, (s) => s.end(), {});
  assert.equal((await recordFrom(listener, secured, (c) => c.tls !== 'pending')).tls, 'completed');

  // A client that offers only TLS 1.1 and below: the listener's OpenSSL refuses it, and says so.
  const old = await connection(httpsPort, () => assert.fail('a TLS 1.1 handshake completed'), { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
  const refused = await recordFrom(listener, old, (c) => c.tls !== 'pending');
  assert.equal(refused.tls, 'failed');
  assert.match(refused.tlsError ?? '', /^ERR_SSL_UNSUPPORTED_PROTOCOL: unsupported protocol$/);

  // A peer that connects to the TLS port and hangs up before any handshake.
  const hungUp = await connection(httpsPort, (s) => s.end());
  const abandoned = await recordFrom(listener, hungUp, (c) => c.tls !== 'pending');
  assert.deepEqual([abandoned.proto, abandoned.tls, abandoned.tlsError], ['https', 'failed', 'the connection closed before the handshake completed']);

  const snap = listener.ledger.snapshot();
  assert.equal(snap.connections, 4);
  assert.equal(snap.connectionsDropped, 0);
  assert.equal(snap.peers[HOST]?.accepted, 4, 'the per-peer count includes the failed handshakes');
  assert.equal(snap.strayCount, 0, 'connections without a request are not stray requests');
});

/** A WebSocket upgrade request; resolves with the status of the answer (101 when it switched). */
function upgradeStatus(port: number, path: string, token: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    if (token !== undefined) headers[TOKEN_HEADER] = token;
    const req = http.request({ host: HOST, port, path, headers });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('listener: a hold upgrade without a valid token or for another probe gets 403 and counts as stray; without the upgrade, 426', async (t) => {
  const { listener, plan } = await startListener(t);
  const port = listener.portFor('http');
  const refused: [string, string | undefined][] = [
    [`${PATHS.hold}?probe=hold-http-0`, undefined],
    [`${PATHS.hold}?probe=hold-http-0`, withLastDigitChanged(plan.token)],
    [`${PATHS.hold}?probe=hello-http-0`, plan.token],
    [`${PATHS.hello}?probe=hello-http-0`, plan.token],
    [`${PATHS.hold}?probe=no-such-probe`, plan.token],
  ];
  for (const [path, token] of refused) assert.equal(await upgradeStatus(port, path, token), 403, path);
  const snap = listener.ledger.snapshot();
  assert.equal(snap.strayCount, refused.length);
  assert.deepEqual(snap.requests, []);
  // The same request with the token and the hold probe switches protocols.
  assert.equal(await upgradeStatus(port, `${PATHS.hold}?probe=hold-http-0`, plan.token), 101);
  assert.equal(listener.ledger.snapshot().strayCount, refused.length);
  // Without the Upgrade (a proxy that strips it), the request is in the ledger and gets 426.
  const stripped = await request(`http://${HOST}:${port}${PATHS.hold}?probe=hold-http-0`, { headers: { [TOKEN_HEADER]: plan.token } });
  assert.equal(stripped.statusCode, 426);
  await stripped.body.dump();
  const entries = listener.ledger.forNode('web1');
  assert.deepEqual(entries.map((r) => [r.probe, r.holdOpened]), [['hold-http-0', false], ['hold-http-0', false]]);
});

test('listener: the hold channel answers open, pushes after holdMs, answers ping; close() ends it', async (t) => {
  const { listener, plan } = await startListener(t);
  const ws = new WebSocket(`ws://${HOST}:${listener.portFor('http')}${PATHS.hold}?probe=hold-http-0`, { headers: { [TOKEN_HEADER]: plan.token } });
  const messages: string[] = [];
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => ws.send(HOLD_MESSAGES.open));
    ws.on('message', (data) => {
      messages.push(data.toString());
      if (data.toString() === HOLD_MESSAGES.push) ws.send(HOLD_MESSAGES.ping);
      if (data.toString() === HOLD_MESSAGES.pong) resolve();
    });
    setTimeout(() => reject(new Error(`exchange incomplete: ${messages.join(', ')}`)), 2000);
  });
  assert.deepEqual(messages, ['open', 'push', 'pong']);
  const entry = listener.ledger.forNode('web1').find((r) => r.probe === 'hold-http-0');
  assert.deepEqual([entry?.completed, entry?.holdOpened, entry?.holdPushSent, entry?.holdPingReceived], [true, true, true, true]);
  await listener.close();
  await closed;
});

function occupy(port = 0): Promise<Server> {
  const server = createServer();
  return new Promise((resolve) => server.listen(port, HOST, () => resolve(server)));
}

test('listener: alternate ports are bound when free; an alternate probe is refused on the main port and vice versa', async (t) => {
  const { listener, plan, base } = await startListener(t, { alternatePorts: { http: 0, https: 0 } });
  const alternates = listener.alternates();
  assert.ok(alternates.http !== undefined && alternates.https !== undefined, JSON.stringify(alternates));
  assert.deepEqual(alternates.unavailable, []);
  const headers = { [TOKEN_HEADER]: plan.token };
  const onAlternate = await request(`http://${HOST}:${alternates.http}${PATHS.hello}?probe=alt-http-0`, { headers });
  assert.equal(onAlternate.statusCode, 200);
  await onAlternate.body.dump();
  const onMain = await request(`${base}${PATHS.hello}?probe=alt-http-0`, { headers });
  assert.equal(onMain.statusCode, 403);
  await onMain.body.dump();
  const mainOnAlternate = await request(`http://${HOST}:${alternates.http}${PATHS.hello}?probe=hello-http-0`, { headers });
  assert.equal(mainOnAlternate.statusCode, 403);
  await mainOnAlternate.body.dump();
  const otherPort = await request(`http://${HOST}:${alternates.http}${PATHS.hello}?probe=alt-http-elsewhere`, { headers });
  assert.equal(otherPort.statusCode, 403);
  await otherPort.body.dump();
  const snap = listener.ledger.snapshot();
  assert.deepEqual(snap.requests.map((r) => [r.probe, r.listener.port]), [['alt-http-0', alternates.http]]);
  assert.match(snap.stray[0]!.reason, /alt-http-0 planned for an alternate port/);
  assert.match(snap.stray[1]!.reason, /hello-http-0 planned for the main port/);
  assert.match(snap.stray[2]!.reason, /alt-http-elsewhere planned for port [12]$/);
});

test('listener: an alternate port that is taken is reported, not fatal', async (t) => {
  const blocker = await occupy();
  t.after(() => new Promise<void>((r) => blocker.close(() => r())));
  const taken = (blocker.address() as { port: number }).port;
  const { listener, plan, base } = await startListener(t, { alternatePorts: { http: taken, https: 0 } });
  const alternates = listener.alternates();
  assert.equal(alternates.http, undefined);
  assert.ok(alternates.https !== undefined);
  assert.equal(alternates.unavailable.length, 1);
  assert.match(alternates.unavailable[0]!, new RegExp(`^http alternate: cannot listen on 127\\.0\\.0\\.1:${taken}: the port is in use`));
  const res = await request(`${base}${PATHS.hello}?probe=hello-http-0`, { headers: { [TOKEN_HEADER]: plan.token } });
  assert.equal(res.statusCode, 200, 'the main listener works');
  await res.body.dump();
});
