/** The callback listener on loopback: authentication, stray accounting, bounded bodies, the ledger. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { BlobStore } from '../controller/blobs.js';
import { createRunCertificate } from '../controller/cert.js';
import { CallbackListener } from '../controller/listener.js';
import { buildPlan, DEFAULT_DEADLINES } from '../controller/plan.js';
import { RunTokens } from '../controller/tokens.js';
import { MAX_STATUS_BODY_BYTES, PATHS, TOKEN_HEADER, type Plan } from '../src/protocol.js';
import { SetupError } from '../src/errors.js';

async function startListener(t: { after: (fn: () => Promise<void>) => void }) {
  const tokens = new RunTokens();
  const blobs = new BlobStore();
  const cert = await createRunCertificate(['127.0.0.1']);
  const plans = new Map<string, Plan>();
  const listener = new CallbackListener({
    addresses: ['127.0.0.1'],
    httpPort: 0,
    httpsPort: 0,
    cert,
    tokens,
    blobs,
    findProbe: (node, id) => plans.get(node)?.probes.find((p) => p.id === id),
  });
  await listener.start();
  t.after(() => listener.close());
  const plan = buildPlan('web1', tokens.tokenFor('web1'), ['127.0.0.1'], (s) => blobs.get(s).sha256, {
    runId: 't',
    sizes: [1024, 65536],
    httpPort: listener.portFor('http'),
    httpsPort: listener.portFor('https'),
    statusPosts: 1,
    statusIntervalMs: 10,
    deadlines: DEFAULT_DEADLINES,
    agentConcurrency: 2,
    fingerprint256: cert.fingerprint256,
  });
  plans.set('web1', plan);
  const base = `http://127.0.0.1:${listener.portFor('http')}`;
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
  await new Promise((r) => setTimeout(r, 20));
  const entry = listener.ledger.forNode('web1').find((r) => r.probe === 'dl-http-0-65536');
  assert.equal(entry?.bytesWritten, 65536);
  assert.equal(entry?.completed, true);
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
  let seenFingerprint = '';
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  t.after(() => dispatcher.close());
  const tls = await import('node:tls');
  await new Promise<void>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: listener.portFor('https'), rejectUnauthorized: false }, () => {
      seenFingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
  assert.equal(seenFingerprint, cert.fingerprint256);
  assert.equal(plan.fingerprint256, cert.fingerprint256);
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
