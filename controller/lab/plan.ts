/**
 * The lab's address plan and names: pure data, no I/O. Everything the lab creates is derived from
 * here, and `down` uses the same names to find what to remove.
 */

/** Every lab address lies in this block; the root namespace gets one `unreachable` route for it. */
export const LAB_BLOCK = '10.231.0.0/16';
export const LAB_BLOCK_BASE = '10.231';

/** Every namespace the lab creates starts with this, so `down` can find them after a crash. */
export const NETNS_PREFIX = 'twl-';
export const CTL_NETNS = 'twl-ctl';
export const RTR_NETNS = 'twl-rtr';
/** A short-lived namespace `up` adds and removes to learn whether namespaces may be created. */
export const PROBE_NETNS = 'twl-probe';

/** The controller side: c0 in twl-ctl, r0 in twl-rtr, on 10.231.0.0/24. */
export const CTL_IFACE = 'c0';
export const CTL_ADDRESS = '10.231.0.1';
export const RTR_CTL_IFACE = 'r0';
export const RTR_CTL_ADDRESS = '10.231.0.254';
export const CTL_SUBNET_PREFIX_LEN = 24;

/** The one nftables table the lab owns in each namespace it filters. */
export const NFT_TABLE = 'twoway_lab';

/** The controller's callback ports: 63001 http, 63002 https (README.md, "Profiles: the update manager's port tables"). */
export const CALLBACK_PORTS = [63001, 63002] as const;

export function nodeNetns(name: string): string {
  return `${NETNS_PREFIX}${name}`;
}

export function subnet(n: number): string {
  return `${LAB_BLOCK_BASE}.${n}.0/24`;
}

/** The router's address on node subnet n. */
export function routerAddress(n: number): string {
  return `${LAB_BLOCK_BASE}.${n}.1`;
}

/** A node's host number on its subnet when the subnet is its own (10.231.N.2). */
export const DEFAULT_HOST = 2;

/** A node's address on subnet n: .2 unless several nodes share the subnet. */
export function nodeAddress(n: number, host: number = DEFAULT_HOST): string {
  return `${LAB_BLOCK_BASE}.${n}.${host}`;
}

/**
 * The router's layer-3 interface toward subnet n (interface names are limited to 15 bytes): a veth
 * when one node owns the subnet, a bridge when several share it.
 */
export function routerIface(n: number): string {
  return `r${n}`;
}

/** On a shared subnet: the router-side veth of host h, a port of the bridge routerIface(n). */
export function bridgePortIface(n: number, host: number): string {
  return `r${n}h${host}`;
}

/** True when two IPv4 prefixes share any address. */
export function prefixesOverlap(a: string, b: string): boolean {
  const pa = parsePrefix(a);
  const pb = parsePrefix(b);
  if (pa === undefined || pb === undefined) return false;
  const len = Math.min(pa.len, pb.len);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((pa.addr & mask) >>> 0) === ((pb.addr & mask) >>> 0);
}

function parsePrefix(text: string): { addr: number; len: number } | undefined {
  const [addrText, lenText] = text.split('/');
  if (addrText === undefined) return undefined;
  const octets = addrText.split('.').map((o) => Number(o));
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return undefined;
  const len = lenText === undefined ? 32 : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > 32) return undefined;
  const addr = octets.reduce((acc, o) => ((acc << 8) | o) >>> 0, 0);
  return { addr, len };
}
