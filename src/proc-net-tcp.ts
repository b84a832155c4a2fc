/**
 * Decoding Linux's /proc/net/tcp and /proc/net/tcp6: the half-open (SYN_RECV) connections in them.
 * Shared by the agent (the node's view) and the controller (its listener's view); standard library
 * free, so it can be bundled into the agent.
 */
import type { HalfOpen } from './protocol.js';

/** /proc/net/tcp writes each 32-bit word of an address in host (little-endian) byte order. */
function decodeIpv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

function decodeIpv6(hex: string): string {
  const groups: string[] = [];
  for (let word = 0; word < 4; word++) {
    const w = hex.slice(word * 8, word * 8 + 8);
    const bytes = [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].join('');
    groups.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  const full = groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(full);
  if (mapped !== null) {
    const hi = parseInt(mapped[1] as string, 16);
    const lo = parseInt(mapped[2] as string, 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return full;
}

function decodeEndpoint(text: string, v6: boolean): { address: string; port: number } {
  const [addr = '', port = '0'] = text.split(':');
  return { address: v6 ? decodeIpv6(addr) : decodeIpv4(addr), port: parseInt(port, 16) };
}

/**
 * A SYN_RECV line (state 03): slot, local and remote address:port in hex, state. Matched over the whole text,
 * so the other lines (thousands of TIME_WAIT and ESTABLISHED ones on a busy listener, read four
 * times a second) are skipped without being split.
 */
const SYN_RECV_LINE = /^\s*\d+:\s+([0-9A-Fa-f]+:[0-9A-Fa-f]+)\s+([0-9A-Fa-f]+:[0-9A-Fa-f]+)\s+03\s/gm;

export function parseProcNetTcp(text: string, v6: boolean): HalfOpen[] {
  const entries: HalfOpen[] = [];
  for (const m of text.matchAll(SYN_RECV_LINE)) {
    entries.push({ local: decodeEndpoint(m[1] as string, v6), remote: decodeEndpoint(m[2] as string, v6) });
  }
  return entries;
}

const LISTEN = '0A';

/** Listening sockets and their inodes (to find which process holds a port, via /proc/PID/fd). */
export function parseProcNetListeners(text: string, v6: boolean): { local: { address: string; port: number }; inode: string }[] {
  const entries: { local: { address: string; port: number }; inode: string }[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10 || cols[3] !== LISTEN) continue;
    entries.push({ local: decodeEndpoint(cols[1] as string, v6), inode: cols[9] as string });
  }
  return entries;
}
