/**
 * Which source addresses may use a node's token. A token is served from the node's own addresses
 * (the inventory's, and those its agent reports in its facts). A token from an address of another
 * node of the run is a replay (a token read off that host, or a node using another's plan): refused.
 * A token from an address that belongs to no node is what a NAT in front of the node looks like
 * (the lab's `snat` scenario): the first such address per address family is bound to the node
 * (trust on first use: the agent calls back as soon as it has the token, before anyone could have
 * read it off the node) and served, so the run can still report source-mismatch; any other
 * address after it is refused. Pure bookkeeping, no I/O.
 */
export type SourceDecision =
  | { served: true; /** The address is not the node's own: a NAT, bound on first use. */ translated: boolean }
  | { served: false; reason: string; /** The node whose inventory address it is, when it is one. */ otherNode?: string };

/** Reasons a valid token is refused, as stray reasons (stable: the report groups strays by them). */
export const SOURCE_REFUSAL = {
  otherNode: "token used from another node's address",
  secondTranslated: 'token used from an unexpected address',
} as const;

/**
 * The family of a socket's peer address (always a valid IP): a colon is IPv6. Not net.isIPv6, whose
 * pattern backtracks some 6 us on every IPv4 address, on every callback request.
 */
const family = (address: string): 'IPv4' | 'IPv6' => (address.includes(':') && !address.startsWith('::ffff:') ? 'IPv6' : 'IPv4');

export class SourceBinding {
  /** Each node's own addresses. */
  private readonly own = new Map<string, Set<string>>();
  /** Inventory address -> the nodes it belongs to (several nodes may share one, e.g. on loopback). */
  private readonly owners = new Map<string, Set<string>>();
  /** Per node and family: the unexpected address bound on first use. */
  private readonly translated = new Map<string, Map<'IPv4' | 'IPv6', string>>();
  /** Per node: the address families it has called from its own addresses in (no NAT there). */
  private readonly direct = new Map<string, Set<'IPv4' | 'IPv6'>>();
  /** Every address some node may call from, for isExpected on each accepted connection. */
  private readonly expected = new Set<string>();

  /** The node's inventory addresses: they also tell which addresses belong to which node. */
  expect(node: string, addresses: readonly string[]): void {
    this.learn(node, addresses);
    for (const a of addresses) {
      const owners = this.owners.get(a) ?? new Set<string>();
      owners.add(node);
      this.owners.set(a, owners);
    }
  }

  /** More of the node's own addresses (its agent's facts): served, but not claimed against other nodes. */
  learn(node: string, addresses: readonly string[]): void {
    const own = this.own.get(node) ?? new Set<string>();
    for (const a of addresses) {
      own.add(a);
      this.expected.add(a);
    }
    this.own.set(node, own);
  }

  /** Whether a request with `node`'s valid token from `address` is served; binds a NAT address on first use. */
  decide(node: string, address: string): SourceDecision {
    if (this.own.get(node)?.has(address) === true) {
      const direct = this.direct.get(node) ?? new Set<'IPv4' | 'IPv6'>();
      direct.add(family(address));
      this.direct.set(node, direct);
      return { served: true, translated: false };
    }
    const owners = this.owners.get(address);
    if (owners !== undefined && !owners.has(node)) return { served: false, reason: SOURCE_REFUSAL.otherNode, otherNode: [...owners].sort()[0]! };
    const bound = this.translated.get(node) ?? new Map<'IPv4' | 'IPv6', string>();
    this.translated.set(node, bound);
    const already = bound.get(family(address));
    if (already === undefined && this.direct.get(node)?.has(family(address)) === true) return { served: false, reason: SOURCE_REFUSAL.secondTranslated };
    if (already === undefined) {
      bound.set(family(address), address);
      this.expected.add(address);
      return { served: true, translated: true };
    }
    return already === address ? { served: true, translated: true } : { served: false, reason: SOURCE_REFUSAL.secondTranslated };
  }

  /** An address some node may call from (its own, or a NAT bound to it): its connections are kept and not capped per peer. */
  isExpected(address: string): boolean {
    return this.expected.has(address);
  }
}
