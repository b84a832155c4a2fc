/**
 * Download content for the run: pseudo-random bytes (AES-CTR keystream under a per-run key), so
 * a proxy that rewrites or truncates the body is caught by the SHA-256 in the agent's plan. One
 * buffer per size, made once per run.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

export interface Blob {
  bytes: Buffer;
  sha256: string;
}

export class BlobStore {
  private readonly key = randomBytes(16);
  private readonly iv = randomBytes(16);
  private readonly cache = new Map<number, Blob>();

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
}
