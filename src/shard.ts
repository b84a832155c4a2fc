/**
 * `twoway run --shard I/N`: the inventory split across N controllers by node name, so each runs
 * its share and `twoway merge` joins the reports. A node's shard depends only on its name and N,
 * never on the list's order or on the other nodes: adding or removing a node moves no other node,
 * and every controller computes the same split from the same inventory. The name's SHA-256 picks
 * the shard by jump consistent hashing (Lamping and Veach, 2014): shards come out balanced, and
 * going from N to N+1 shards moves only the nodes that land in the new shard (about 1/(N+1)).
 */
import { createHash } from 'node:crypto';
import { InputError } from './errors.js';

export interface Shard {
  /** 1-based: 1 <= index <= count. */
  index: number;
  count: number;
}

/** More controllers than this for one fleet is a typo, not a plan. */
export const MAX_SHARDS = 1024;

const FLAG = '--shard';
const MASK64 = (1n << 64n) - 1n;

/** `I/N` as the flag takes it; anything else is a usage error saying what was expected. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(text);
  const index = m === null ? NaN : Number(m[1]);
  const count = m === null ? NaN : Number(m[2]);
  if (!(count >= 1 && count <= MAX_SHARDS && index >= 1 && index <= count)) {
    throw new InputError(`expected I/N, this controller's share I of N shards (1 <= I <= N <= ${MAX_SHARDS}), e.g. 2/3; got "${text}"`, { field: FLAG });
  }
  return { index, count };
}

/** The shard (1..count) a node of this name belongs to. */
export function shardOf(name: string, count: number): number {
  let key = createHash('sha256').update(name, 'utf8').digest().readBigUInt64BE(0);
  let bucket = -1;
  let next = 0;
  while (next < count) {
    bucket = next;
    key = (key * 2862933555777941757n + 1n) & MASK64;
    next = Math.floor((bucket + 1) * (2 ** 31 / (Number(key >> 33n) + 1)));
  }
  return bucket + 1;
}

/** The nodes of one shard, in their order. */
export function nodesInShard<T extends { name: string }>(nodes: readonly T[], shard: Shard): T[] {
  return nodes.filter((node) => shardOf(node.name, shard.count) === shard.index);
}

export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
