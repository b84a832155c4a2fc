/**
 * The node's TCP segment counters from /proc/net/snmp (Linux): read at the agent's start and end,
 * their difference is how many segments the node sent and retransmitted meanwhile, a whole-host
 * figure (src/protocol/types.ts HostTcpCounters). Elsewhere, or unreadable: undefined.
 */
import * as fs from 'fs';
import type { HostTcpCounters } from '../../src/protocol.js';

/** The Tcp counters in /proc/net/snmp's two-line form: a header line of names, then one of values. */
export function parseSnmpTcp(text: string): HostTcpCounters | undefined {
  const lines = text.split('\n').filter((l) => l.indexOf('Tcp:') === 0);
  if (lines.length < 2) return undefined;
  const names = lines[0]!.trim().split(/\s+/);
  const values = lines[1]!.trim().split(/\s+/);
  const field = (name: string): number | undefined => {
    const i = names.indexOf(name);
    const v = i < 0 ? NaN : Number(values[i]);
    return Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  const outSegs = field('OutSegs');
  const retransSegs = field('RetransSegs');
  return outSegs === undefined || retransSegs === undefined ? undefined : { outSegs, retransSegs };
}

export function readHostTcp(): HostTcpCounters | undefined {
  try {
    return parseSnmpTcp(fs.readFileSync('/proc/net/snmp', 'utf8'));
  } catch {
    return undefined;
  }
}

/** end - start, or undefined when either is missing or a counter went back (wrapped, or reset). */
export function hostTcpDelta(start: HostTcpCounters | undefined, end: HostTcpCounters | undefined): HostTcpCounters | undefined {
  if (start === undefined || end === undefined) return undefined;
  const outSegs = end.outSegs - start.outSegs;
  const retransSegs = end.retransSegs - start.retransSegs;
  return outSegs < 0 || retransSegs < 0 ? undefined : { outSegs, retransSegs };
}
