/**
 * Per-node callback tokens: HMAC-SHA256 of the node name under a secret made for this run, so a
 * token proves which node is calling and is worthless after the run.
 */
import { createHmac, randomBytes } from 'node:crypto';

export class RunTokens {
  private readonly secret = randomBytes(32);
  private readonly byToken = new Map<string, string>();

  tokenFor(node: string): string {
    const token = createHmac('sha256', this.secret).update(node).digest('hex');
    this.byToken.set(token, node);
    return token;
  }

  /**
   * The node a token belongs to, or undefined. The lookup is the check: a token is 256 bits of HMAC
   * under the run's secret, and the map compares strings only within a hash bucket.
   */
  nodeFor(token: string | undefined): string | undefined {
    if (token === undefined || !/^[0-9a-f]{64}$/.test(token)) return undefined;
    return this.byToken.get(token);
  }
}
