/**
 * How many nodes one controller tests at once unless --concurrency says otherwise. A node costs the
 * controller an ssh client's key exchange (CPU, the bulk of its share) and the listener's part of
 * the transfers; most of a node's time is waiting on the network and the node's own work. Eight
 * nodes in flight per core keeps the cores busy without a long queue of handshakes competing for
 * them; nodes start in inventory order as slots free, so none waits behind nodes that came later.
 */
import { availableParallelism } from 'node:os';

export const NODES_PER_CORE = 8;
const MIN_CONCURRENCY = 4;
const MAX_CONCURRENCY = 64;

export function defaultConcurrency(cores: number = availableParallelism()): number {
  return Math.min(MAX_CONCURRENCY, Math.max(MIN_CONCURRENCY, NODES_PER_CORE * cores));
}
