/**
 * The lab's fault values, drawn per build from ranges with a seeded PRNG (issue 13 item 4): the MTU
 * of the small link, the latency and loss of the lossy link, the slow link's rate and the idle
 * link's conntrack timeout. The scenarios and their expectations are a function of these
 * (scenarios.ts: labScenarios), so no constant in the tool can agree with the lab by accident.
 * Pure: the same seed always gives the same values.
 */
import { LabError } from '../../src/errors.js';

export interface LabParams {
  seed: number;
  /** MTU of the router's side of the mtu node's link (an MTU black hole below the node's 1500). */
  mtu: number;
  /** One-way delay each way on the lossy node's link: the round trip is about twice this. */
  latencyMs: number;
  /** Share of the lossy node's segments toward the controller (not SYNs) the router drops, in percent. */
  lossPct: number;
  /** The slow node's link rate toward the node. */
  rateMbit: number;
  /** The idle node's conntrack established timeout on the router. */
  idleTimeoutS: number;
}

/**
 * Inclusive ranges. Latency and loss are bounded so that the lossy node's largest upload (1 MiB)
 * still completes well within the agent's probe deadline (60 s) at the worst combination, and the
 * loss stays above twoway's default --max-loss (1 %) with room for sampling: the node is slow, never
 * timed out. The rate stays below the default --min-mbps (10).
 */
export const LAB_PARAM_RANGES = {
  mtu: { min: 1280, max: 1480 },
  latencyMs: { min: 20, max: 120 },
  /** In tenths of a percent, so the draw stays an integer: 2.0 .. 5.0 %. */
  lossPermille: { min: 20, max: 50 },
  rateMbit: { min: 2, max: 6 },
  idleTimeoutS: { min: 2, max: 8 },
} as const;

export const MAX_SEED = 0xffff_ffff;

/** mulberry32: a small, well-mixed 32-bit PRNG; returns numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function intIn(next: () => number, range: { min: number; max: number }): number {
  return range.min + Math.floor(next() * (range.max - range.min + 1));
}

/** The lab's parameters for a seed; the same seed gives the same values. */
export function drawLabParams(seed: number): LabParams {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new LabError(`lab seed must be a whole number from 0 to ${MAX_SEED}, not ${seed}`);
  const next = mulberry32(seed);
  const r = LAB_PARAM_RANGES;
  // Fixed draw order: adding a parameter goes at the end, so older seeds keep their values.
  return {
    seed,
    mtu: intIn(next, r.mtu),
    latencyMs: intIn(next, r.latencyMs),
    lossPct: intIn(next, r.lossPermille) / 10,
    rateMbit: intIn(next, r.rateMbit),
    idleTimeoutS: intIn(next, r.idleTimeoutS),
  };
}

/** A seed for a lab build that was given none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * (MAX_SEED + 1));
}

/** A seed as typed (`lab up --seed`, TWOWAY_LAB_SEED). */
export function parseSeed(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n > MAX_SEED) throw new LabError(`${what} must be a whole number from 0 to ${MAX_SEED}, not "${text}"`);
  return n;
}

/** The drawn values in one line, as `lab up`, `lab status` and the demo print them. */
export function describeLabParams(p: LabParams): string {
  return `seed ${p.seed}: mtu ${p.mtu}, latency ${p.latencyMs} ms one way, loss ${p.lossPct} %, slow rate ${p.rateMbit} Mbit/s, idle timeout ${p.idleTimeoutS} s`;
}

/** The idle hold the demo and the lab tests run with: clearly longer than the drawn idle timeout. */
export function labIdleHoldSeconds(p: LabParams): number {
  return p.idleTimeoutS + 2;
}
