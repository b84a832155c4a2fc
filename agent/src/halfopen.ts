/**
 * The node's half-open connections (SYN_RECV): a SYN that reached the node but whose handshake never
 * completed. Sampled at the end of the run, it proves the controller's forward probe arrived even
 * though the controller saw a timeout: the answer was lost on the way back. Linux only; elsewhere,
 * or when /proc is unreadable, the list is empty and the event says so.
 */
import * as fs from 'fs';
import type { AgentHalfOpen, HalfOpen } from '../../src/protocol.js';

const SYN_RECV = '03';
const MAX_ENTRIES = 256;

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

export function parseProcNetTcp(text: string, v6: boolean): HalfOpen[] {
  const entries: HalfOpen[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[3] !== SYN_RECV) continue;
    entries.push({ local: decodeEndpoint(cols[1] as string, v6), remote: decodeEndpoint(cols[2] as string, v6) });
  }
  return entries;
}

export function sampleHalfOpen(): AgentHalfOpen {
  const entries: HalfOpen[] = [];
  let readable = false;
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    try {
      entries.push(...parseProcNetTcp(fs.readFileSync(file, 'utf8'), v6));
      readable = true;
    } catch {
      // Not Linux, or /proc not mounted: nothing to say about half-open connections.
    }
  }
  return { t: 'halfopen', measured: readable, entries: entries.slice(0, MAX_ENTRIES) };
}
