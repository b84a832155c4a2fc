/**
 * Would this host's nftables ruleset let a callback in? A pure walk of `nft -j list ruleset` for
 * the first packet of a callback: a new TCP connection from a node's address to a listener port,
 * arriving on a non-loopback interface. Every base chain at the input hook must accept it (an accept
 * in one table does not bind another). Matches this walk does not understand make the answer
 * "unknown" at that rule, never a guess.
 */

export interface NftChainRef {
  family: string;
  table: string;
  chain: string;
}

export interface NftRuleRef extends NftChainRef {
  handle: number;
}

export type IngressVerdict =
  | { kind: 'accepted' }
  /** Dropped or rejected: by a rule, or by the chain's policy (rule undefined). */
  | { kind: 'blocked'; by: NftChainRef; rule?: NftRuleRef; action: 'drop' | 'reject' }
  | { kind: 'unknown'; by: NftRuleRef; reason: string };

export interface NftChain extends NftChainRef {
  hook?: string;
  type?: string;
  prio?: number;
  policy?: string;
}

export interface NftRule extends NftRuleRef {
  expr: unknown[];
  comment?: string;
}

export interface NftRuleset {
  chains: NftChain[];
  rules: NftRule[];
}

export interface IngressPacket {
  port: number;
  /** The node's address; undefined when not known (matches on the source are then "unknown"). */
  source?: string;
  family: 'ip' | 'ip6';
}

type Obj = Record<string, unknown>;

/** The chains and rules of `nft -j list ruleset` output (other objects are not needed here). */
export function parseNftJson(text: string): NftRuleset {
  const doc = JSON.parse(text) as { nftables?: Obj[] };
  const chains: NftChain[] = [];
  const rules: NftRule[] = [];
  for (const item of doc.nftables ?? []) {
    const c = item.chain as Obj | undefined;
    if (c !== undefined) {
      chains.push({
        family: String(c.family),
        table: String(c.table),
        chain: String(c.name),
        ...(typeof c.hook === 'string' ? { hook: c.hook } : {}),
        ...(typeof c.type === 'string' ? { type: c.type } : {}),
        ...(typeof c.prio === 'number' ? { prio: c.prio } : {}),
        ...(typeof c.policy === 'string' ? { policy: c.policy } : {}),
      });
    }
    const r = item.rule as Obj | undefined;
    if (r !== undefined) {
      rules.push({
        family: String(r.family),
        table: String(r.table),
        chain: String(r.chain),
        handle: Number(r.handle),
        expr: Array.isArray(r.expr) ? r.expr : [],
        ...(typeof r.comment === 'string' ? { comment: r.comment } : {}),
      });
    }
  }
  return { chains, rules };
}

/** Base chains a packet for this host passes, in priority order (filter chains at the input hook). */
export function inputBaseChains(ruleset: NftRuleset, family: 'ip' | 'ip6'): NftChain[] {
  return ruleset.chains
    .filter((c) => c.hook === 'input' && (c.type === undefined || c.type === 'filter') && (c.family === family || c.family === 'inet'))
    .sort((a, b) => (a.prio ?? 0) - (b.prio ?? 0));
}

/** The first base chain that does not accept the packet decides; all accepting: accepted. */
export function judgeIngress(ruleset: NftRuleset, packet: IngressPacket): IngressVerdict {
  for (const chain of inputBaseChains(ruleset, packet.family)) {
    const verdict = walkChain(ruleset, chain, packet, 0);
    // "return" in a base chain ends it like falling off its end: the policy decides.
    if (verdict.kind === 'end' || verdict.kind === 'return') {
      if (chain.policy === 'drop') return { kind: 'blocked', by: { family: chain.family, table: chain.table, chain: chain.chain }, action: 'drop' };
      continue;
    }
    if (verdict.kind !== 'accepted') return verdict;
  }
  return { kind: 'accepted' };
}

type Walk = IngressVerdict | { kind: 'end' } | { kind: 'return' };
const MAX_JUMP_DEPTH = 16;

function walkChain(ruleset: NftRuleset, chain: NftChainRef, packet: IngressPacket, depth: number): Walk {
  const rules = ruleset.rules.filter((r) => r.family === chain.family && r.table === chain.table && r.chain === chain.chain);
  for (const rule of rules) {
    let matched: Tri = true;
    let action: Obj | undefined;
    for (const e of rule.expr as Obj[]) {
      if ('match' in e) {
        const m = matches(e.match as Obj, packet);
        if (m === false) {
          matched = false;
          break;
        }
        if (m === 'unknown') matched = 'unknown';
      } else if (['accept', 'drop', 'reject', 'jump', 'goto', 'return'].some((k) => k in e)) {
        action = e;
        break;
      } else if (!['counter', 'log', 'limit', 'comment'].some((k) => k in e)) {
        // Statements that change the packet or its path (nat, mark, ...) are past this walk.
        if (matched === true) matched = 'unknown';
      }
    }
    if (matched === false || action === undefined) continue;
    const at: NftChainRef = { family: chain.family, table: chain.table, chain: chain.chain };
    const ref: NftRuleRef = { ...at, handle: rule.handle };
    if (matched === 'unknown') {
      // Only a rule that would stop the callback (or change where the walk goes) makes the answer unknown; an unsure accept is passed over.
      if ('drop' in action || 'reject' in action || 'jump' in action || 'goto' in action || 'return' in action) {
        return { kind: 'unknown', by: ref, reason: 'a rule whose matches this check does not evaluate' };
      }
      continue;
    }
    if ('accept' in action) return { kind: 'accepted' };
    if ('drop' in action) return { kind: 'blocked', by: at, rule: ref, action: 'drop' };
    if ('reject' in action) return { kind: 'blocked', by: at, rule: ref, action: 'reject' };
    if ('return' in action) return { kind: 'return' };
    const target = ((action.jump ?? action.goto) as Obj).target as string;
    if (depth >= MAX_JUMP_DEPTH) return { kind: 'unknown', by: ref, reason: 'jumps nested too deep' };
    const inner = walkChain(ruleset, { family: chain.family, table: chain.table, chain: target }, packet, depth + 1);
    if (inner.kind === 'return' || inner.kind === 'end') {
      if ('goto' in action) return { kind: 'end' };
      continue;
    }
    return inner;
  }
  return { kind: 'end' };
}

type Tri = true | false | 'unknown';

function matches(m: Obj, packet: IngressPacket): Tri {
  const op = m.op as string;
  const left = m.left as Obj;
  const value = valueOf(left, packet);
  if (value === undefined) return 'unknown';
  const result = compare(value, m.right, packet);
  if (result === 'unknown') return 'unknown';
  if (op === '==' || op === 'in') return result;
  if (op === '!=') return !result;
  return 'unknown';
}

type Value = { number: number } | { text: string } | { address: string } | { states: string[] };

function valueOf(left: Obj, packet: IngressPacket): Value | undefined {
  const payload = left.payload as Obj | undefined;
  if (payload !== undefined) {
    if ((payload.protocol === 'tcp' || payload.protocol === 'th') && payload.field === 'dport') return { number: packet.port };
    if ((payload.protocol === 'ip' || payload.protocol === 'ip6') && payload.field === 'saddr') {
      if (payload.protocol !== packet.family) return { text: 'other-family' };
      return packet.source === undefined ? undefined : { address: packet.source };
    }
    return undefined;
  }
  const meta = left.meta as Obj | undefined;
  if (meta !== undefined) {
    if (meta.key === 'l4proto') return { text: 'tcp' };
    // meta protocol is the ethertype (ip, ip6), not the transport.
    if (meta.key === 'protocol') return { text: packet.family };
    if (meta.key === 'nfproto') return { text: packet.family === 'ip' ? 'ipv4' : 'ipv6' };
    // Callbacks come in from the network, not on loopback; any other interface name is unknown.
    if (meta.key === 'iifname' || meta.key === 'iif') return { text: 'not-loopback' };
    return undefined;
  }
  const ct = left.ct as Obj | undefined;
  if (ct !== undefined && ct.key === 'state') return { states: ['new'] };
  return undefined;
}

function compare(value: Value, right: unknown, packet: IngressPacket): Tri {
  if ('number' in value) return numberIn(value.number, right);
  if ('states' in value) {
    const wanted = Array.isArray(right) ? right.map(String) : [String(right)];
    return wanted.includes('new');
  }
  if ('address' in value) return addressIn(value.address, right, packet.family);
  if (value.text === 'not-loopback') return right === 'lo' ? false : 'unknown';
  if (value.text === 'other-family') return false;
  const wanted = typeof right === 'object' && right !== null && 'set' in right ? (right as { set: unknown[] }).set.map(String) : [String(right)];
  return wanted.includes(value.text) || (value.text === 'tcp' && wanted.includes('6'));
}

/** A named set (`@blocklist`) holds what this walk cannot see: unknown, never a miss. */
const isNamedSet = (right: unknown): boolean => typeof right === 'string' && right.startsWith('@');

function numberIn(n: number, right: unknown): Tri {
  if (isNamedSet(right)) return 'unknown';
  if (typeof right === 'number') return n === right;
  if (typeof right !== 'object' || right === null) return 'unknown';
  const r = right as Obj;
  if (Array.isArray(r.range)) return n >= Number(r.range[0]) && n <= Number(r.range[1]);
  if (Array.isArray(r.set)) {
    let unknown = false;
    for (const item of r.set) {
      const hit = numberIn(n, item);
      if (hit === true) return true;
      if (hit === 'unknown') unknown = true;
    }
    return unknown ? 'unknown' : false;
  }
  return 'unknown';
}

function addressIn(address: string, right: unknown, family: 'ip' | 'ip6'): Tri {
  if (isNamedSet(right)) return 'unknown';
  if (family !== 'ip') return typeof right === 'string' ? right === address : 'unknown';
  if (typeof right === 'string') return right === address;
  if (typeof right !== 'object' || right === null) return 'unknown';
  const r = right as Obj;
  if (typeof r.prefix === 'object' && r.prefix !== null) {
    const p = r.prefix as { addr: string; len: number };
    return inPrefix(address, p.addr, p.len);
  }
  if (Array.isArray(r.set)) {
    let unknown = false;
    for (const item of r.set) {
      const hit = addressIn(address, item, family);
      if (hit === true) return true;
      if (hit === 'unknown') unknown = true;
    }
    return unknown ? 'unknown' : false;
  }
  return 'unknown';
}

function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function inPrefix(address: string, network: string, length: number): Tri {
  const a = ipv4ToNumber(address);
  const n = ipv4ToNumber(network);
  if (a === undefined || n === undefined) return 'unknown';
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return (a & mask) === (n & mask);
}
