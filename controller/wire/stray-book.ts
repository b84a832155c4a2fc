/**
 * The listener's strays: requests and connections it refused or that carried nothing, from sources
 * that are no node of the run. A flood must not grow memory with it, so each one is counted in a
 * group by source and reason (a bounded number of groups, the rest in one overflow group) and only
 * the first few are kept whole, as a sample.
 */
import type { Endpoint } from '../../src/protocol.js';
import type { StraySummary } from '../../src/report.js';

export interface StrayRequest {
  peer: Endpoint;
  reason: string;
  at: number;
  /** The listener port it came in on, when known. */
  port?: number;
  /** The request's path, when it got that far. */
  path?: string;
  /** The node whose valid token it carried (a replay from elsewhere). */
  node?: string;
  /** What the reason leaves out (the probe id asked for, the node whose address it came from). */
  detail?: string;
}

const SAMPLE_KEPT = 100;
const GROUPS_KEPT = 256;
/** Ports and paths listed per group: enough to see what was knocked on. */
const LISTED_PER_GROUP = 8;
const OVERFLOW_SOURCE = 'other sources';

export class StrayBook {
  private count = 0;
  private readonly sample: StrayRequest[] = [];
  private readonly groups = new Map<string, StraySummary>();

  add(stray: StrayRequest): void {
    this.count += 1;
    if (this.sample.length < SAMPLE_KEPT) this.sample.push(stray);
    let key = `${stray.peer.address}|${stray.reason}|${stray.node ?? ''}`;
    let group = this.groups.get(key);
    if (group === undefined && this.groups.size >= GROUPS_KEPT) {
      key = OVERFLOW_SOURCE;
      group = this.groups.get(key);
    }
    if (group === undefined) {
      const overflow = key === OVERFLOW_SOURCE;
      group = { source: overflow ? OVERFLOW_SOURCE : stray.peer.address, reason: overflow ? 'any' : stray.reason, count: 0, ports: [], paths: [], ...(stray.node === undefined || overflow ? {} : { node: stray.node }) };
      this.groups.set(key, group);
    }
    group.count += 1;
    addListed(group.ports, stray.port);
    addListed(group.paths, stray.path);
  }

  get total(): number {
    return this.count;
  }

  strays(): StrayRequest[] {
    return this.sample.map((s) => ({ ...s }));
  }

  /** The groups, most frequent first. */
  summary(): StraySummary[] {
    return [...this.groups.values()].map((g) => ({ ...g, ports: [...g.ports].sort((a, b) => a - b), paths: [...g.paths].sort() })).sort((a, b) => b.count - a.count || a.source.localeCompare(b.source) || a.reason.localeCompare(b.reason));
  }
}

function addListed<T>(list: T[], value: T | undefined): void {
  if (value !== undefined && list.length < LISTED_PER_GROUP && !list.includes(value)) list.push(value);
}
