/**
 * `ss -tinH` output (iproute2), parsed: one entry per TCP connection with the kernel's TCP_INFO
 * figures for it (round trip, retransmissions, segments and bytes). Pure; the sampler that runs ss
 * is tcp-info-sampler.ts. Fields ss does not print (older kernels, idle connections) stay absent.
 */
import type { Endpoint } from '../../src/protocol.js';

export interface TcpInfoEntry {
  local: Endpoint;
  remote: Endpoint;
  /** Smoothed round trip (rtt:SRTT/VAR), ms. */
  rttMs?: number;
  /** The smallest round trip the connection has seen (minrtt:), ms: the path without queueing. */
  minRttMs?: number;
  /** Segments retransmitted over the connection's life (retrans:CURRENT/TOTAL: the total). */
  retransTotal?: number;
  /** Segments the kernel counts as lost now (lost:). */
  lost?: number;
  dataSegsOut?: number;
  dataSegsIn?: number;
  bytesAcked?: number;
  bytesRetrans?: number;
  bytesReceived?: number;
}

/** "10.0.0.1:80", "[::1]:80", "[::ffff:10.0.0.1]:80" (IPv4-mapped addresses are given as IPv4). */
export function parseSsEndpoint(text: string): Endpoint | undefined {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text.trim());
  if (m === null) return undefined;
  const address = m[1]!.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').replace(/%.*$/, '');
  const port = Number(m[2]);
  return address === '' || !Number.isInteger(port) ? undefined : { address, port };
}

const NUMBER_FIELDS: readonly [string, keyof TcpInfoEntry][] = [
  ['minrtt', 'minRttMs'],
  ['lost', 'lost'],
  ['data_segs_out', 'dataSegsOut'],
  ['data_segs_in', 'dataSegsIn'],
  ['bytes_acked', 'bytesAcked'],
  ['bytes_retrans', 'bytesRetrans'],
  ['bytes_received', 'bytesReceived'],
];

function parseInfo(entry: TcpInfoEntry, info: string): void {
  const fields = new Map<string, string>();
  for (const token of info.trim().split(/\s+/)) {
    const colon = token.indexOf(':');
    if (colon > 0) fields.set(token.slice(0, colon), token.slice(colon + 1));
  }
  const num = (text: string | undefined): number | undefined => {
    const n = text === undefined ? NaN : Number(text);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const record = entry as unknown as Record<string, number>;
  for (const [name, key] of NUMBER_FIELDS) {
    const n = num(fields.get(name));
    if (n !== undefined) record[key] = n;
  }
  const rtt = num(fields.get('rtt')?.split('/')[0]);
  if (rtt !== undefined) entry.rttMs = rtt;
  const retrans = fields.get('retrans')?.split('/');
  const total = num(retrans?.[1] ?? retrans?.[0]);
  if (total !== undefined) entry.retransTotal = total;
}

/**
 * Every connection in the output: a socket line (Recv-Q Send-Q Local Peer, with or without a
 * State column first) followed by its indented info line(s). Lines that fit neither are skipped.
 */
export function parseSsTcpInfo(text: string): TcpInfoEntry[] {
  const entries: TcpInfoEntry[] = [];
  let current: TcpInfoEntry | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (/^\s/.test(line)) {
      if (current !== undefined) parseInfo(current, line);
      continue;
    }
    const cols = line.trim().split(/\s+/);
    const endpoints = cols.slice(-2).map(parseSsEndpoint);
    const [local, remote] = endpoints;
    current = local !== undefined && remote !== undefined && cols.length >= 4 ? { local, remote } : undefined;
    if (current !== undefined) entries.push(current);
  }
  return entries;
}
