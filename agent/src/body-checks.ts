/**
 * What a right answer looks like for each kind of probe. A check sees the body chunk by chunk (a
 * download can be large, so it is hashed as it streams, never held) and gives its verdict at the end.
 */
import { createHash } from 'crypto';
import type { Endpoint } from '../../src/protocol.js';

export type BodyVerdict = { ok: true; seen?: Endpoint } | { ok: false; outcome: 'corrupt' | 'truncated'; message: string };

export interface BodyCheck {
  /** Takes the next chunk; returns a problem as soon as the body can no longer be right. */
  take(chunk: Buffer): string | undefined;
  /** The verdict once the whole body has arrived. */
  finish(): BodyVerdict;
}

/** hello, status and upload answers are a few dozen bytes; anything much longer is not our listener. */
const MAX_ANSWER_BYTES = 16 * 1024;

function jsonAnswer(what: string, judge: (answer: unknown) => BodyVerdict): BodyCheck {
  const chunks: Buffer[] = [];
  let length = 0;
  return {
    take(chunk) {
      chunks.push(chunk);
      length += chunk.length;
      return length > MAX_ANSWER_BYTES ? `${what} answer is longer than ${MAX_ANSWER_BYTES} bytes` : undefined;
    },
    finish() {
      let answer: unknown;
      try {
        answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return { ok: false, outcome: 'corrupt', message: `${what} answer is not JSON` };
      }
      return judge(answer);
    },
  };
}

/** hello: the listener echoes the source address and port it saw. */
export function helloCheck(): BodyCheck {
  return jsonAnswer('hello', (answer) => {
    const o = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
    const { address, port } = o;
    if (typeof address !== 'string' || address === '' || address.length > 64 || typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      return { ok: false, outcome: 'corrupt', message: 'hello answer has no valid "address" and "port"' };
    }
    return { ok: true, seen: { address, port } };
  });
}

/** status: the listener acknowledges with {"ok":true}. */
export function statusCheck(): BodyCheck {
  return jsonAnswer('status', (answer) =>
    typeof answer === 'object' && answer !== null && (answer as { ok?: unknown }).ok === true
      ? { ok: true }
      : { ok: false, outcome: 'corrupt', message: 'status answer is not {"ok":true}' },
  );
}

/** download: exactly `size` bytes whose SHA-256 is `sha256` (lower-case hex). */
export function downloadCheck(size: number, sha256: string): BodyCheck {
  const hash = createHash('sha256');
  let received = 0;
  return {
    take(chunk) {
      received += chunk.length;
      if (received > size) return `body is longer than the ${size} bytes planned`;
      hash.update(chunk);
      return undefined;
    },
    finish() {
      if (received < size) return { ok: false, outcome: 'truncated', message: `body ended after ${received} of ${size} bytes` };
      const digest = hash.digest('hex');
      if (digest !== sha256.toLowerCase()) return { ok: false, outcome: 'corrupt', message: `body has SHA-256 ${digest}, expected ${sha256.toLowerCase()}` };
      return { ok: true };
    },
  };
}

/** upload: the listener counted `size` bytes and found the planned SHA-256 ({"bytes":N,"sha256ok":true}). */
export function uploadCheck(size: number): BodyCheck {
  return jsonAnswer('upload', (answer) => {
    const o = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
    if (o.sha256ok === true && o.bytes === size) return { ok: true };
    return { ok: false, outcome: 'corrupt', message: `upload answer is not {"bytes":${size},"sha256ok":true}` };
  });
}
