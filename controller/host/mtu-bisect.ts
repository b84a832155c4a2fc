/**
 * The path MTU by bisection over "does a packet of this size cross the path and come back": pure
 * over the oracle, so the search is tested without a network (controller/host/path-mtu.ts gives it
 * ICMP echoes with DF set). Sizes are whole IP packets, headers included.
 */

export interface BisectBounds {
  /** A size every working path carries (576 for IPv4, 1280 for IPv6): no answer there is no answer at all. */
  floor: number;
  /** The sending interface's MTU: the largest size that can leave at all. */
  ceiling: number;
  /** At most this many sizes are tried, each one costing up to its timeout. */
  maxProbes: number;
}

export type BisectResult =
  /** The largest size that passed, with the smallest that failed just above it (none: the ceiling passed). */
  | { kind: 'exact'; mtu: number; probes: { size: number; ok: boolean }[] }
  /** The probes ran out first: at least `atLeast`, below `below`. */
  | { kind: 'range'; atLeast: number; below: number; probes: { size: number; ok: boolean }[] }
  /** Not even the floor came back: echoes are filtered, or the path is down. */
  | { kind: 'no-answer'; probes: { size: number; ok: boolean }[] };

/**
 * Floor first (is anything answered?), then the ceiling (is there a limit at all?), then halves the
 * gap between the largest size that passed and the smallest that failed. With 576..1500 that is
 * 2 + 10 probes.
 */
export async function bisectPathMtu(passes: (size: number) => Promise<boolean>, bounds: BisectBounds): Promise<BisectResult> {
  const probes: { size: number; ok: boolean }[] = [];
  const tryOne = async (size: number): Promise<boolean> => {
    const ok = await passes(size);
    probes.push({ size, ok });
    return ok;
  };
  const ceiling = Math.max(bounds.floor, bounds.ceiling);
  if (bounds.maxProbes < 1 || !(await tryOne(bounds.floor))) return { kind: 'no-answer', probes };
  if (ceiling === bounds.floor) return { kind: 'exact', mtu: ceiling, probes };
  if (probes.length >= bounds.maxProbes) return { kind: 'range', atLeast: bounds.floor, below: ceiling + 1, probes };
  if (await tryOne(ceiling)) return { kind: 'exact', mtu: ceiling, probes };
  let passed = bounds.floor;
  let failed = ceiling;
  while (failed - passed > 1 && probes.length < bounds.maxProbes) {
    const mid = Math.floor((passed + failed) / 2);
    if (await tryOne(mid)) passed = mid;
    else failed = mid;
  }
  return failed - passed > 1 ? { kind: 'range', atLeast: passed, below: failed, probes } : { kind: 'exact', mtu: passed, probes };
}
