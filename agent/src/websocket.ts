/**
 * The little of RFC 6455 the idle hold needs, with nothing but Node's standard library: the
 * handshake key and its expected answer, masked client frames, and a reader for server frames that
 * arrive split across TCP chunks or several to a chunk. Messages are short text (HOLD_MESSAGES), so
 * fragmented and oversized messages are refused rather than reassembled.
 */
import { createHash, randomBytes } from 'crypto';
import { MAX_HOLD_MESSAGE_BYTES } from '../../src/protocol.js';

export const OPCODES = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Key: 16 random bytes, base64. */
export function websocketKey(): string {
  return randomBytes(16).toString('base64');
}

/** The Sec-WebSocket-Accept a real WebSocket server answers to `key`. */
export function expectedAccept(key: string): string {
  return createHash('sha1').update(key + ACCEPT_GUID).digest('base64');
}

/** A final, masked client frame (clients must mask, RFC 6455 section 5.3). */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > MAX_HOLD_MESSAGE_BYTES) throw new Error(`frame payload of ${payload.length} bytes is over ${MAX_HOLD_MESSAGE_BYTES}`);
  const head = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const mask = randomBytes(4);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
  return Buffer.concat([head, mask, masked]);
}

export interface Frame {
  opcode: number;
  payload: Buffer;
}

export class FrameError extends Error {}

export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Takes the next chunk from the connection; returns the frames it completes. Throws FrameError. */
  take(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.nextFrame();
      if (frame === undefined) return frames;
      frames.push(frame);
    }
  }

  private nextFrame(): Frame | undefined {
    const buf = this.pending;
    if (buf.length < 2) return undefined;
    const first = buf[0] ?? 0;
    const second = buf[1] ?? 0;
    const opcode = first & 0x0f;
    if ((first & 0x80) === 0 || opcode === 0) throw new FrameError('fragmented message: the hold exchange has none');
    if ((second & 0x80) !== 0) throw new FrameError('masked frame from the server');
    let length = second & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buf.length < 4) return undefined;
      length = buf.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buf.length < 10) return undefined;
      // Anything that needs the high 32 bits is far over the limit anyway.
      length = buf.readUInt32BE(2) === 0 ? buf.readUInt32BE(6) : Number.MAX_SAFE_INTEGER;
      offset = 10;
    }
    // Checked before waiting for the payload, so a huge announced length is refused at once.
    if (length > MAX_HOLD_MESSAGE_BYTES) throw new FrameError(`frame of ${length} bytes is over the ${MAX_HOLD_MESSAGE_BYTES}-byte limit`);
    if (buf.length < offset + length) return undefined;
    this.pending = buf.subarray(offset + length);
    return { opcode, payload: buf.subarray(offset, offset + length) };
  }
}
