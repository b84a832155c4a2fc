/**
 * The path MTU by bisection over "does a packet of this size cross the path and come back": pure
 * over the oracle, so the search is tested without a network (controller/host/path-mtu.ts and the
 * Node agent's agent/src/path-mtu.ts give it ICMP echoes with DF set). Sizes are whole IP packets,
 * headers included. Bundled into the Node agent: the language only, no Node modules.
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

/** IP and ICMP headers on top of an echo's payload, by IP version. */
export const ECHO_HEADERS = { 4: 28, 6: 48 } as const;
/** Sizes every working path carries: IPv4's minimum reassembly size and IPv6's minimum MTU. */
export const MTU_FLOOR = { 4: 576, 6: 1280 } as const;
/** The ceiling when the sending interface's MTU cannot be read. */
export const DEFAULT_MTU_CEILING = 1500;
export const MAX_MTU_PROBES = 12;
/** Each echo waits this long for its answer (ping -W). */
export const ECHO_WAIT_SEC = 1;

/**
 * iputils ping arguments for one echo of a `size`-byte IP packet with DF set (-M do), no name
 * lookups: the controller's and the Node agent's, and the command shown to the operator.
 */
export function dfEchoArgs(address: string, family: 4 | 6, size: number): string[] {
  return [...(family === 6 ? ['-6'] : []), '-n', '-M', 'do', '-s', String(size - ECHO_HEADERS[family]), '-c', '1', '-W', String(ECHO_WAIT_SEC), address];
}

/** A bisection as evidence: the figure (exact, or a range when the probes ran out) or why there is none. */
export interface BisectFinding {
  measured: boolean;
  mtu?: number;
  below?: number;
  reason?: string;
  probes: { size: number; ok: boolean }[];
}

export function bisectFinding(result: BisectResult, floor: number): BisectFinding {
  switch (result.kind) {
    case 'exact':
      return { measured: true, mtu: result.mtu, probes: result.probes };
    case 'range':
      return { measured: true, mtu: result.atLeast, below: result.below, probes: result.probes };
    case 'no-answer':
      return { measured: false, reason: `no echo of even ${floor} bytes was answered: ICMP echo is filtered on the way, or the path was down`, probes: result.probes };
  }
}
