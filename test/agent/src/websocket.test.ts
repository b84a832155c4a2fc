/** The agent's WebSocket framing (agent/src/websocket.ts), byte by byte. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameError, FrameReader, OPCODES, clientFrame, expectedAccept } from '../../../agent/src/websocket.js';
import { MAX_HOLD_MESSAGE_BYTES } from '../../../src/protocol.js';

/** An unmasked server frame, with the 16-bit length form from 126 bytes on. */
function serverFrame(opcode: number, payload: string | Buffer): Buffer {
  const body = Buffer.from(payload);
  const head = body.length < 126 ? Buffer.from([0x80 | opcode, body.length]) : Buffer.from([0x80 | opcode, 126, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([head, body]);
}

const texts = (frames: { opcode: number; payload: Buffer }[]): string[] => frames.map((f) => `${f.opcode}:${f.payload.toString()}`);

test('websocket: the accept key is the RFC 6455 example', () => {
  assert.equal(expectedAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('websocket: frames split across chunks and several in one chunk are all read, in order', () => {
  const stream = Buffer.concat([serverFrame(OPCODES.text, 'open'), serverFrame(OPCODES.ping, 'hb'), serverFrame(OPCODES.text, 'x'.repeat(300)), serverFrame(OPCODES.text, 'push')]);
  const expected = ['1:open', '9:hb', `1:${'x'.repeat(300)}`, '1:push'];
  // One byte at a time: every header and payload boundary falls between chunks.
  const reader = new FrameReader();
  const oneByOne = [...stream].flatMap((byte) => reader.take(Buffer.from([byte])));
  assert.deepEqual(texts(oneByOne), expected);
  // All at once.
  assert.deepEqual(texts(new FrameReader().take(stream)), expected);
  // Split inside the 16-bit length.
  const split = new FrameReader();
  const cut = serverFrame(OPCODES.text, 'open').length + serverFrame(OPCODES.ping, 'hb').length + 3;
  assert.deepEqual(texts([...split.take(stream.subarray(0, cut)), ...split.take(stream.subarray(cut))]), expected);
});

test('websocket: oversized, masked and fragmented server frames are refused', () => {
  // The announced length alone is enough: no need to wait for the payload.
  const huge = Buffer.from([0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0]);
  assert.throws(() => new FrameReader().take(huge), FrameError);
  assert.throws(() => new FrameReader().take(serverFrame(OPCODES.text, 'y'.repeat(MAX_HOLD_MESSAGE_BYTES + 1)).subarray(0, 4)), /over the 1024-byte limit/);
  assert.throws(() => new FrameReader().take(Buffer.from([0x81, 0x84, 1, 2, 3, 4])), /masked/);
  assert.throws(() => new FrameReader().take(Buffer.from([0x01, 0x01, 0x61])), /fragmented/);
  assert.equal(new FrameReader().take(serverFrame(OPCODES.text, 'z'.repeat(MAX_HOLD_MESSAGE_BYTES))).length, 1, 'the limit itself passes');
});

test('websocket: client frames are final, masked, and unmask to the payload', () => {
  for (const payload of ['ping', 'q'.repeat(200)]) {
    const frame = clientFrame(OPCODES.text, Buffer.from(payload));
    assert.equal(frame[0], 0x81);
    assert.equal((frame[1] ?? 0) & 0x80, 0x80, 'mask bit');
    const short = payload.length < 126;
    assert.equal((frame[1] ?? 0) & 0x7f, short ? payload.length : 126);
    if (!short) assert.equal(frame.readUInt16BE(2), payload.length);
    const offset = short ? 2 : 4;
    const mask = frame.subarray(offset, offset + 4);
    const unmasked = Buffer.from(frame.subarray(offset + 4).map((b, i) => b ^ (mask[i & 3] ?? 0)));
    assert.equal(unmasked.toString(), payload);
  }
});
