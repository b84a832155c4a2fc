/**
 * Transfer content for the run. Downloads: pseudo-random bytes (AES-CTR keystream under a per-run
 * key), so a proxy that rewrites or truncates the body is caught by the SHA-256 in the agent's plan;
 * one buffer per size, made once per run. Uploads: UPLOAD_LINE repeated and cut to size, which every
 * agent flavour can make without a file; the listener checks it against the SHA-256 in the plan.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { UPLOAD_LINE } from '../../src/protocol.js';

export interface Blob {
  bytes: Buffer;
  sha256: string;
}

/** What an agent uploads for a planned size. */
export function uploadContent(size: number): Buffer {
  return Buffer.from(UPLOAD_LINE.repeat(Math.ceil(size / UPLOAD_LINE.length))).subarray(0, size);
}

export class BlobStore {
  private readonly key = randomBytes(16);
  private readonly iv = randomBytes(16);
  private readonly cache = new Map<number, Blob>();
  private readonly uploadDigests = new Map<number, string>();

  get(size: number): Blob {
    let blob = this.cache.get(size);
    if (blob === undefined) {
      const cipher = createCipheriv('aes-128-ctr', this.key, this.iv);
      const bytes = Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
      blob = { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
      this.cache.set(size, blob);
    }
    return blob;
  }

  /** SHA-256 (hex) of uploadContent(size), for the plan. */
  uploadSha256(size: number): string {
    let digest = this.uploadDigests.get(size);
    if (digest === undefined) {
      digest = createHash('sha256').update(uploadContent(size)).digest('hex');
      this.uploadDigests.set(size, digest);
    }
    return digest;
  }
}
