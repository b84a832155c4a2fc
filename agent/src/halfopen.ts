/**
 * The node's half-open connections (SYN_RECV): a SYN that reached the node but whose handshake never
 * completed. Sampled at the end of the run, it proves the controller's forward probe arrived even
 * though the controller saw a timeout: the answer was lost on the way back. Linux only; elsewhere,
 * or when /proc is unreadable, the list is empty and the event says so.
 */
import * as fs from 'fs';
import { EVENT_LIMITS } from '../../src/protocol.js';
import type { AgentHalfOpen, HalfOpen } from '../../src/protocol.js';
import { parseProcNetTcp } from '../../src/proc-net-tcp.js';

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
  return { t: 'halfopen', measured: readable, entries: entries.slice(0, EVENT_LIMITS.halfOpenEntries) };
}
