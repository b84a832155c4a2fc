/**
 * Per-node callback tokens: HMAC-SHA256 of the node name under a secret made for this run, so a
 * token proves which node is calling and is worthless after the run.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class RunTokens {
  private readonly secret = randomBytes(32);
  private readonly byToken = new Map<string, string>();

  tokenFor(node: string): string {
    const token = createHmac('sha256', this.secret).update(node).digest('hex');
    this.byToken.set(token, node);
    return token;
  }

  /** The node a token belongs to, or undefined. */
  nodeFor(token: string | undefined): string | undefined {
    if (token === undefined || !/^[0-9a-f]{64}$/.test(token)) return undefined;
    const node = this.byToken.get(token);
    if (node === undefined) return undefined;
    // Recompute and compare in constant time, so the map lookup is not the only check.
    const expected = createHmac('sha256', this.secret).update(node).digest();
    return timingSafeEqual(expected, Buffer.from(token, 'hex')) ? node : undefined;
  }
}
