// Floods a callback listener on loopback the way issue 14 did: N unauthenticated connect/close
// cycles from 127.0.0.1 against a run whose node calls from 127.0.0.2, then one request from the
// node. Prints the listener's memory before and after, what the ledger kept, and whether the node's
// connection was still recorded. Run after `npm run build`: node scripts/flood.mjs [cycles] [parallel]
import { connect } from 'node:net';
import { request } from 'node:http';
import { BlobStore } from '../dist/controller/wire/blobs.js';
import { createRunCertificate } from '../dist/controller/wire/cert.js';
import { CallbackListener } from '../dist/controller/wire/listener.js';
import { RunTokens } from '../dist/controller/wire/tokens.js';

const cycles = Number(process.argv[2] ?? 100_000);
const parallel = Number(process.argv[3] ?? 32);
const host = '127.0.0.1';
const tokens = new RunTokens();
const token = tokens.tokenFor('web1');
// A build without source binding (before issue 14) floods the same way, for comparison.
const binding = await import('../dist/controller/wire/source-binding.js').catch(() => undefined);
const sources = binding === undefined ? undefined : new binding.SourceBinding();
sources?.expect('web1', ['127.0.0.2']);
let port = 0;
const listener = new CallbackListener({
  addresses: [host],
  httpPort: 0,
  httpsPort: 0,
  cert: await createRunCertificate([host]),
  tokens,
  blobs: new BlobStore(),
  ...(sources === undefined ? {} : { sources }),
  findProbe: (node, id) => (node === 'web1' && id === 'hello' ? { id, kind: 'hello', proto: 'http', address: host, port } : undefined),
});
await listener.start();
port = listener.portFor('http');

const mb = () => {
  globalThis.gc?.();
  return Math.round(process.memoryUsage().rss / 1e6);
};
const before = mb();
const started = Date.now();
let next = 0;
const cycle = () =>
  new Promise((resolve) => {
    const s = connect({ port, host });
    s.on('error', resolve);
    s.on('connect', () => s.end());
    s.on('close', resolve);
  });
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (next < cycles) {
      next += 1;
      await cycle();
    }
  }),
);
// The listener counts a stray as each connection closes on its side.
for (let i = 0; i < 500 && listener.ledger.snapshot().strayCount < cycles; i++) await new Promise((r) => setTimeout(r, 10));
const floodMs = Date.now() - started;
const local = await new Promise((resolve, reject) => {
  const req = request({ host, port, path: '/tw/hello?probe=hello', headers: { 'x-twoway-token': token }, localAddress: '127.0.0.2', agent: false });
  let localPort = 0;
  req.on('socket', (s) => s.once('connect', () => (localPort = s.localPort)));
  req.on('response', (res) => {
    res.resume();
    res.on('end', () => resolve({ status: res.statusCode, port: localPort }));
  });
  req.on('error', reject);
  req.end();
});
const view = listener.ledger.connectionsFor([{ t: 'probe', id: 'hello', outcome: 'ok', phase: 'body', ms: 1, local: { address: '127.0.0.2', port: local.port } }]);
const snap = listener.ledger.snapshot();
const after = mb();
await listener.close();
console.log(
  JSON.stringify(
    {
      cycles,
      parallel,
      floodMs,
      rssMbBefore: before,
      rssMbAfter: after,
      strayCount: snap.strayCount,
      straySummary: snap.straySummary?.map((s) => `${s.source} ${s.reason} x${s.count}`),
      strayKept: snap.stray.length,
      connectionsKept: snap.connections,
      connectionsDropped: snap.connectionsDropped,
      nodeStatus: local.status,
      nodeConnectionRecorded: view.records.length === 1,
      recordComplete: view.complete,
    },
    null,
    2,
  ),
);
