/**
 * The node's socket table at the end of the run. Half-open connections (SYN_RECV): a SYN that reached
 * the node but whose handshake never completed; sampled at the end of the run, it proves the
 * controller's forward probe arrived even though the controller saw a timeout: the answer was lost
 * on the way back. Listening sockets: whether a forward port that answered with a reset has a
 * service behind it (controller/diagnose/forward.ts). Linux only; elsewhere, or when /proc is
 * unreadable, the lists are empty and the event says so.
 */
import * as fs from 'fs';
import { EVENT_LIMITS } from '../../src/protocol.js';
import type { AgentHalfOpen, Endpoint, HalfOpen } from '../../src/protocol.js';
import { parseProcNetListeners, parseProcNetTcp } from '../../src/proc-net-tcp.js';

export function sampleHalfOpen(): AgentHalfOpen {
  const entries: HalfOpen[] = [];
  const listening: Endpoint[] = [];
  let readable = false;
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    try {
      const text = fs.readFileSync(file, 'utf8');
      entries.push(...parseProcNetTcp(text, v6));
      listening.push(...parseProcNetListeners(text, v6).map((l) => l.local));
      readable = true;
    } catch {
      // Not Linux, or /proc not mounted: nothing to say about half-open connections.
    }
  }
  return {
    t: 'halfopen',
    measured: readable,
    entries: entries.slice(0, EVENT_LIMITS.halfOpenEntries),
    listening: readable ? { measured: true, sockets: listening.slice(0, EVENT_LIMITS.listeningSockets) } : { measured: false, reason: 'no /proc/net/tcp on this node', sockets: [] },
  };
}
