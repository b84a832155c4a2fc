/**
 * Upload content: UPLOAD_LINE repeated and cut to the planned size (src/protocol.ts), made chunk by
 * chunk so that a few MiB never sit in memory at once.
 */
import { UPLOAD_LINE } from '../../src/protocol.js';

/** Whole lines, just under 64 KiB: every full chunk is the same bytes, so one buffer serves them all. */
const CHUNK = Buffer.from(UPLOAD_LINE.repeat(Math.floor((64 * 1024) / UPLOAD_LINE.length)));

export class UploadBody {
  private offset = 0;

  constructor(private readonly size: number) {}

  /** The next chunk, or undefined once `size` bytes have been handed out. */
  next(): Buffer | undefined {
    if (this.offset >= this.size) return undefined;
    const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, this.size - this.offset));
    this.offset += chunk.length;
    return chunk;
  }
}
