/**
 * Volume the listener must record exactly (issue 14's "keep" list): 1000 status posts and 200
 * parallel 8 MiB downloads, each in the ledger with every byte, none stray.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { PATHS, PROTOCOL_VERSION, TOKEN_HEADER, type PlannedProbe } from '../../../src/protocol.js';
import { startTestListener } from '../../helpers/listener-harness.js';
import { until } from '../../helpers/listener-peers.js';

const HOST = '127.0.0.1';
const POSTS = 1000;
const DOWNLOADS = 200;
const SIZE = 8 * 1024 * 1024;

test('volume: 1000 status posts and 200 parallel 8 MiB downloads are each recorded exactly', { timeout: 300_000 }, async (t) => {
  const harness = await startTestListener(t, HOST);
  const { listener, tokens, blobs, cert } = harness;
  const at = { proto: 'http' as const, address: HOST, port: listener.portFor('http') };
  const probes: PlannedProbe[] = [
    { ...at, id: 'status-http-0', kind: 'status', posts: POSTS, intervalMs: 0 },
    { ...at, id: 'dl-http-0-8388608', kind: 'download', size: SIZE, sha256: blobs.get(SIZE).sha256 },
  ];
  const token = tokens.tokenFor('web1');
  harness.setPlan({
    version: PROTOCOL_VERSION,
    runId: 't',
    node: 'web1',
    token,
    fingerprint256: cert.fingerprint256,
    controllerAddresses: [HOST],
    probes,
    deadlines: { connectMs: 1000, stallMs: 1000, probeMs: 5000, totalMs: 10_000 },
    concurrency: 2,
  });
  const base = `http://${HOST}:${at.port}`;
  const dispatcher = new Agent({ connections: DOWNLOADS, pipelining: 0 });
  t.after(() => dispatcher.close());

  let next = 1;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next <= POSTS) {
        const seq = next++;
        const res = await request(`${base}${PATHS.status}?probe=status-http-0&seq=${seq}`, { method: 'POST', headers: { [TOKEN_HEADER]: token }, body: `{"seq":${seq}}`, dispatcher });
        await res.body.dump();
        assert.equal(res.statusCode, 200);
      }
    }),
  );
  const received = await Promise.all(
    Array.from({ length: DOWNLOADS }, async () => {
      const res = await request(`${base}${PATHS.blob}?probe=dl-http-0-8388608`, { headers: { [TOKEN_HEADER]: token }, dispatcher });
      let bytes = 0;
      for await (const chunk of res.body) bytes += (chunk as Buffer).length;
      return bytes;
    }),
  );
  assert.deepEqual(new Set(received), new Set([SIZE]));

  const entries = await until(() => {
    const all = listener.ledger.forNode('web1');
    return all.filter((e) => e.probe.startsWith('dl-') && e.completed).length === DOWNLOADS ? all : undefined;
  }, 500);
  const posts = entries.filter((e) => e.probe === 'status-http-0');
  assert.equal(posts.length, POSTS);
  assert.deepEqual(posts.map((p) => p.seq).sort((a, b) => (a ?? 0) - (b ?? 0)), Array.from({ length: POSTS }, (_, i) => i + 1));
  const downloads = entries.filter((e) => e.probe.startsWith('dl-'));
  assert.equal(downloads.length, DOWNLOADS);
  assert.ok(downloads.every((d) => d.bytesWritten === SIZE && d.completed && !d.aborted));
  assert.equal(listener.ledger.snapshot().strayCount, 0);
});
