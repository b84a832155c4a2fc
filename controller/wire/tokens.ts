/**
 * Per-node callback tokens: HMAC-SHA256 of the node name under a secret made for this run, so a
 * token proves which node is calling and is worthless after the run.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class RunTokens {
  private readonly secret = randomBytes(32);
  /** Token -> its node and the token's bytes, made once (a callback request must not cost an HMAC). */
  private readonly byToken = new Map<string, { node: string; bytes: Buffer }>();

  tokenFor(node: string): string {
    const bytes = createHmac('sha256', this.secret).update(node).digest();
    const token = bytes.toString('hex');
    this.byToken.set(token, { node, bytes });
    return token;
  }

  /** The node a token belongs to, or undefined. */
  nodeFor(token: string | undefined): string | undefined {
    if (token === undefined || !/^[0-9a-f]{64}$/.test(token)) return undefined;
    const known = this.byToken.get(token);
    if (known === undefined) return undefined;
    // Compared again in constant time, so the map lookup is not the only check.
    return timingSafeEqual(known.bytes, Buffer.from(token, 'hex')) ? known.node : undefined;
  }
}
