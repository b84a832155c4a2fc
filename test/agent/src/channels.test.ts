/**
 * The agent against the real callback listener on 127.0.0.1: uploads and idle holds, also through
 * loopback relays that go dark part-way (an upload black-holed after some bytes; a hold whose
 * connection stops carrying anything after the open exchange), and a hello to an alternate port.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { BlobStore } from '../../../controller/wire/blobs.js';
import { CallbackListener } from '../../../controller/wire/listener.js';
import type { LedgerRequest } from '../../../controller/wire/ledger.js';
import { PATHS, PROTOCOL_VERSION, TOKEN_HEADER } from '../../../src/protocol.js';
import type { Deadlines, Plan, PlannedProbe } from '../../../src/protocol.js';
import { TEST_FLAVOURS, checkShape, resultOf, runFlavour } from '../../helpers/agent-process.js';
import { startTestListener } from '../../helpers/listener-harness.js';
import { serveOnLoopback } from '../../helpers/loopback-server.js';

const HOST = '127.0.0.1';
const NODE_NAME = 'node-a';
/** Not a multiple of the upload line or the agent's chunk: the cut at the end is exercised. */
const BIG_UPLOAD = 3 * 1024 * 1024 + 5;
const SMALL_UPLOAD = 40_000;
/** A black-holed upload: the relay passes this many bytes (head and body), then nothing. */
const STALLED_UPLOAD = 1024 * 1024;
const RELAY_PASSES = 20_000;
const HOLD_MS = 300;

interface Harness {
  listener: CallbackListener;
  blobs: BlobStore;
  fingerprint256: string;
  token: string;
  /** Sets the plan the listener checks requests against. */
  plan(probes: PlannedProbe[], deadlines: Deadlines): Plan;
  ledger(probe: string): LedgerRequest;
}

async function harness(t: TestContext): Promise<Harness> {
  const { listener, tokens, blobs, cert, setPlan } = await startTestListener(t, HOST, { alternatePorts: { http: 0, https: 0 } });
  const token = tokens.tokenFor(NODE_NAME);
  return {
    listener,
    blobs,
    fingerprint256: cert.fingerprint256,
    token,
    plan: (probes, deadlines) =>
      setPlan({ version: PROTOCOL_VERSION, runId: 't', node: NODE_NAME, token, fingerprint256: cert.fingerprint256, controllerAddresses: [HOST], probes, deadlines, concurrency: 16 }),
    ledger(probe) {
      const entry = listener.ledger.forNode(NODE_NAME).find((r) => r.probe === probe);
      assert.ok(entry, `ledger entry for ${probe}`);
      return entry;
    },
  };
}

interface RelayCut {
  /** Go dark once this many bytes have passed agent -> listener. */
  upBytes?: number;
  /** Go dark right after this byte sequence has passed listener -> agent. */
  downAfter?: Buffer;
}

/**
 * A loopback TCP relay to `port` that forwards both ways until its cut, then goes dark: it keeps
 * both connections open and stops reading either, the way a black hole or a firewall that forgot
 * the connection looks from both ends.
 */
async function relay(t: TestContext, port: number, cut: RelayCut): Promise<number> {
  const server = net.createServer((agentSide) => {
    const listenerSide = net.connect(port, HOST);
    // One side closing (or destroyed at the test's end) takes the other with it.
    for (const s of [agentSide, listenerSide]) {
      s.on('error', () => undefined);
      s.on('close', () => {
        agentSide.destroy();
        listenerSide.destroy();
      });
    }
    let up = 0;
    let down = Buffer.alloc(0);
    let dark = false;
    const goDark = (): void => {
      dark = true;
      agentSide.pause();
      listenerSide.pause();
    };
    agentSide.on('data', (chunk: Buffer) => {
      if (dark) return;
      const room = cut.upBytes === undefined ? chunk.length : cut.upBytes - up;
      listenerSide.write(chunk.subarray(0, room));
      up += Math.min(room, chunk.length);
      if (room <= chunk.length && cut.upBytes !== undefined) goDark();
    });
    listenerSide.on('data', (chunk: Buffer) => {
      if (dark) return;
      agentSide.write(chunk);
      if (cut.downAfter === undefined) return;
      down = Buffer.concat([down, chunk]);
      if (down.includes(cut.downAfter)) goDark();
    });
  });
  return serveOnLoopback(t, server);
}

/** The listener's "open" as an unmasked server text frame: what the hold relay lets through last. */
const OPEN_FRAME = Buffer.from([0x81, 0x04, ...Buffer.from('open')]);

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent uploads and holds against the listener, and reports cut ones where they stopped`, async (t) => {
  const h = await harness(t);
  const httpPort = h.listener.portFor('http');
  const httpsPort = h.listener.portFor('https');
  const alternates = h.listener.alternates();
  assert.ok(alternates.http !== undefined);
  const blackHole = await relay(t, httpPort, { upBytes: RELAY_PASSES });
  const goesDark = await relay(t, httpPort, { downAfter: OPEN_FRAME });
  const http = { proto: 'http' as const, address: HOST, port: httpPort };
  const https = { proto: 'https' as const, address: HOST, port: httpsPort };
  const upload = (size: number): Pick<PlannedProbe, 'kind' | 'size' | 'sha256'> => ({ kind: 'upload', size, sha256: h.blobs.uploadSha256(size) });
  const plan = h.plan(
    [
      { ...http, id: 'ul-big', ...upload(BIG_UPLOAD) },
      { ...https, id: 'ul-https', ...upload(SMALL_UPLOAD) },
      // The listener expects other content than every agent sends.
      { ...http, id: 'ul-corrupt', kind: 'upload', size: SMALL_UPLOAD, sha256: h.blobs.uploadSha256(SMALL_UPLOAD + 1) },
      { ...http, port: blackHole, id: 'ul-stalled', ...upload(STALLED_UPLOAD) },
      { ...http, id: 'hold-http', kind: 'hold', holdMs: HOLD_MS },
      { ...https, id: 'hold-https', kind: 'hold', holdMs: HOLD_MS },
      { ...http, port: goesDark, id: 'hold-cut', kind: 'hold', holdMs: HOLD_MS },
      { ...http, port: alternates.http, id: 'alt-hello', kind: 'hello', alternate: true },
    ],
    // The stall deadline is what ends the two cut probes, and nothing else may reach it: under load
    // the listener (this process) can take a second or more to answer a healthy exchange.
    { connectMs: 5000, stallMs: 5000, probeMs: 20_000, totalMs: 30_000 },
  );
  const run = await runFlavour(flavour, plan);
  const results = checkShape(run, plan);
  const get = (id: string) => resultOf(results, id);

  await t.test('upload of a few MiB: ok, every byte sent and received, the answer sent', () => {
    const r = get('ul-big');
    assert.equal(r.outcome, 'ok', JSON.stringify(r));
    assert.equal(r.bytes, BIG_UPLOAD);
    assert.equal(r.httpStatus, 200);
    const entry = h.ledger('ul-big');
    assert.deepEqual([entry.method, entry.bytesPlanned, entry.bytesReceived, entry.completed], ['POST', BIG_UPLOAD, BIG_UPLOAD, true]);
  });

  await t.test('upload over pinned https: ok', () => {
    const r = get('ul-https');
    assert.equal(r.outcome, 'ok', JSON.stringify(r));
    assert.equal(r.fingerprint, h.fingerprint256);
    assert.equal(h.ledger('ul-https').bytesReceived, SMALL_UPLOAD);
  });

  await t.test('upload whose content the listener does not expect: corrupt, 422', () => {
    const r = get('ul-corrupt');
    assert.equal(r.outcome, 'corrupt');
    assert.equal(r.httpStatus, 422);
    assert.equal(r.bytes, SMALL_UPLOAD);
    assert.equal(h.ledger('ul-corrupt').bytesReceived, SMALL_UPLOAD);
  });

  await t.test('upload black-holed part-way: stalled, and the ledger shows how far it got', () => {
    const r = get('ul-stalled');
    assert.equal(r.outcome, 'stalled', JSON.stringify(r));
    assert.equal(r.error?.code, 'TWOWAY_STALL');
    // Loopback buffers may take the whole body: then the agent waits for the answer instead.
    assert.ok(r.phase === 'body' || r.phase === 'response', r.phase);
    assert.equal(r.phase === 'body', (r.bytes ?? 0) < STALLED_UPLOAD, `phase ${r.phase} with ${r.bytes} bytes sent`);
    const entry = h.ledger('ul-stalled');
    assert.ok(entry.bytesReceived > 0 && entry.bytesReceived < RELAY_PASSES, `listener received ${entry.bytesReceived}`);
    assert.equal(entry.completed, false);
  });

  await t.test('hold over http and https: push and pong after the quiet time', () => {
    for (const id of ['hold-http', 'hold-https']) {
      const r = get(id);
      assert.equal(r.outcome, 'ok', `${id}: ${JSON.stringify(r)}`);
      assert.equal(r.phase, 'hold');
      assert.equal(r.hold?.push, true, id);
      assert.equal(r.hold?.pong, true, id);
      assert.ok((r.hold?.idleMs ?? 0) >= HOLD_MS, `${id} idle ${r.hold?.idleMs} ms: never shorter than the hold asked`);
      const entry = h.ledger(id);
      assert.deepEqual([entry.holdOpened, entry.holdPushSent, entry.holdPingReceived], [true, true, true], id);
    }
    assert.equal(get('hold-https').fingerprint, h.fingerprint256);
  });

  await t.test('hold through a path that goes dark after the open exchange: no-response in the hold', () => {
    const r = get('hold-cut');
    assert.equal(r.outcome, 'no-response', JSON.stringify(r));
    assert.equal(r.phase, 'hold');
    assert.deepEqual([r.hold?.push, r.hold?.pong], [false, false]);
    assert.ok((r.hold?.idleMs ?? 0) >= HOLD_MS, `idle ${r.hold?.idleMs} ms`);
    const entry = h.ledger('hold-cut');
    // The listener sent its push into the dark, and never got the ping.
    assert.deepEqual([entry.holdOpened, entry.holdPushSent, entry.holdPingReceived], [true, true, false]);
  });

  await t.test('hello to an alternate port: an ordinary hello for the agent', () => {
    const r = get('alt-hello');
    assert.equal(r.outcome, 'ok');
    assert.equal(h.ledger('alt-hello').listener.port, alternates.http);
  });
});

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent hold: the probe deadline does not cut the quiet time; the agent deadline reports where it stands`, async (t) => {
  const h = await harness(t);
  const http = { proto: 'http' as const, address: HOST, port: h.listener.portFor('http') };
  const deadlines = { connectMs: 5000, stallMs: 5000, probeMs: 3000, totalMs: 12_000 };
  const longHoldMs = 60_000;
  const plan = h.plan(
    [
      { ...http, id: 'hold-past-probe-deadline', kind: 'hold', holdMs: deadlines.probeMs + 1000 },
      { ...http, id: 'hold-past-agent-deadline', kind: 'hold', holdMs: longHoldMs },
    ],
    // The probe deadline still bounds opening the hold, so it leaves that time even under load; the
    // agent deadline leaves the long hold's quiet time well past the probe deadline even when the agent
    // starts slowly, and ends far before the hold would. The bounds below follow from the plan.
    deadlines,
  );
  const run = await runFlavour(flavour, plan);
  const results = checkShape(run, plan);

  const short = resultOf(results, 'hold-past-probe-deadline');
  assert.equal(short.outcome, 'ok', JSON.stringify(short));
  assert.ok(short.ms > deadlines.probeMs, `${short.ms} ms`);

  const long = resultOf(results, 'hold-past-agent-deadline');
  assert.equal(long.outcome, 'no-response', JSON.stringify(long));
  assert.equal(long.phase, 'hold');
  assert.equal(long.error?.code, 'TWOWAY_AGENT_DEADLINE');
  assert.deepEqual([long.hold?.push, long.hold?.pong], [false, false]);
  const idle = long.hold?.idleMs ?? 0;
  assert.ok(idle > deadlines.probeMs && idle < longHoldMs, `idle ${idle} ms: past the probe deadline, cut by the agent deadline before the hold's end`);
  assert.ok(run.ms < longHoldMs, `agent took ${run.ms} ms: it ended at its deadline, not after the hold`);
});

// ---------------------------------------------------------------------------------------------
// A raw WebSocket server, to put the agent's framing through what `ws` never does on loopback.

function serverFrame(opcode: number, text: string): Buffer {
  return Buffer.concat([Buffer.from([0x80 | opcode, text.length]), Buffer.from(text)]);
}

/** Reads the masked client frames with short payloads (all the agent sends) that are whole. */
function clientFrames(buffer: Buffer): { frames: string[]; rest: Buffer } {
  const frames: string[] = [];
  let at = 0;
  while (buffer.length >= at + 6) {
    const length = (buffer[at + 1] ?? 0) & 0x7f;
    if (buffer.length < at + 6 + length) break;
    const mask = buffer.subarray(at + 2, at + 6);
    const payload = Buffer.from(buffer.subarray(at + 6, at + 6 + length).map((b, i) => b ^ (mask[i & 3] ?? 0)));
    frames.push(`${(buffer[at] ?? 0) & 0x0f}:${payload.toString()}`);
    at += 6 + length;
  }
  return { frames, rest: buffer.subarray(at) };
}

interface RawHold {
  /** What the agent sent: the request head, then its frames as "opcode:text". */
  head: string;
  frames: string[];
}

/**
 * Answers the upgrade with `accept` (computed from the agent's key) and, in the same write, "open"
 * and a ping of its own; after the agent's "ping", sends push and pong split across two writes.
 */
async function rawHoldServer(t: TestContext, accept: (key: string) => string): Promise<{ port: number; seen: RawHold }> {
  const seen: RawHold = { head: '', frames: [] };
  const timers = new Set<NodeJS.Timeout>();
  t.after(() => timers.forEach(clearTimeout));
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    let pending: Buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (chunk: Buffer) => {
      if (!upgraded) {
        seen.head += chunk.toString('latin1');
        if (!seen.head.includes('\r\n\r\n')) return;
        upgraded = true;
        const key = /sec-websocket-key: *(\S+)/i.exec(seen.head)?.[1] ?? '';
        const answer = `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept(key)}\r\n\r\n`;
        socket.write(Buffer.concat([Buffer.from(answer), serverFrame(0x1, 'open'), serverFrame(0x9, 'hb')]));
        return;
      }
      const read = clientFrames(Buffer.concat([pending, chunk]));
      pending = read.rest;
      for (const frame of read.frames) {
        seen.frames.push(frame);
        if (frame !== '1:ping') continue;
        const both = Buffer.concat([serverFrame(0x1, 'push'), serverFrame(0x1, 'pong')]);
        socket.write(both.subarray(0, 8));
        const timer = setTimeout(() => socket.write(both.subarray(8)), 30);
        timers.add(timer);
      }
    });
  });
  return { port: await serveOnLoopback(t, server), seen };
}

const rfcAccept = (key: string): string => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');

for (const flavour of TEST_FLAVOURS) test(`${flavour} agent hold against a raw WebSocket server: merged and split frames, a server ping answered, a wrong accept refused`, async (t) => {
  const good = await rawHoldServer(t, rfcAccept);
  const wrong = await rawHoldServer(t, (key) => rfcAccept(`${key}x`));
  const probe = { proto: 'http' as const, address: HOST, kind: 'hold' as const, holdMs: 200 };
  const plan: Plan = {
    version: PROTOCOL_VERSION,
    runId: 't',
    node: NODE_NAME,
    token: 'raw-token',
    fingerprint256: 'AA',
    controllerAddresses: [HOST],
    probes: [
      { ...probe, id: 'raw-good', port: good.port },
      { ...probe, id: 'raw-wrong-accept', port: wrong.port },
    ],
    // No probe here should reach a deadline: room for a loaded machine.
    deadlines: { connectMs: 5000, stallMs: 5000, probeMs: 10_000, totalMs: 15_000 },
    concurrency: 2,
  };
  const results = checkShape(await runFlavour(flavour, plan), plan);

  const ok = resultOf(results, 'raw-good');
  assert.equal(ok.outcome, 'ok', JSON.stringify(ok));
  assert.deepEqual([ok.hold?.push, ok.hold?.pong], [true, true]);
  assert.match(good.seen.head, new RegExp(`^GET ${PATHS.hold.replace(/\//g, '\\/')}\\?probe=raw-good HTTP/1\\.1\r\n`));
  assert.match(good.seen.head, new RegExp(`${TOKEN_HEADER}: raw-token\r\n`, 'i'));
  // open, the answer to the server's ping (a pong with its payload), then the check's ping.
  assert.deepEqual(good.seen.frames, ['1:open', '10:hb', '1:ping']);

  const refused = resultOf(results, 'raw-wrong-accept');
  assert.equal(refused.outcome, 'corrupt');
  assert.equal(refused.phase, 'response');
  assert.equal(refused.httpStatus, 101);
  assert.deepEqual(wrong.seen.frames, [], 'nothing sent on a channel that is not a WebSocket');
});
