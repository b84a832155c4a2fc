/**
 * Why transfers on a path stalled: their size (an MTU black hole), or the path itself stopping for a
 * while (an outage: a link flap mid-run once stalled a download at byte 970020 and was called an MTU
 * black hole). Pure, from the path's probes in the order they finished and the path MTU measured on
 * this run (controller/host/path-mtu.ts).
 */
import type { PathMtuMeasurement } from '../../src/evidence.js';
import { limitsBelowInterface, mtuFigure } from '../../src/path-mtu.js';
import { sizeLabel } from '../../src/size-label.js';

/**
 * An MTU black hole drops every full-size packet, so a stalled transfer got at most what fitted in
 * small ones (a few KB at the start). This many bytes before the stall took full-size packets.
 */
export const FULL_SIZE_CROSSED_BYTES = 64 * 1024;

export interface StallWitness {
  id: string;
  kind: 'download' | 'upload' | 'other';
  /** Transfers: the planned size. */
  size?: number;
  passed: boolean;
  stuck: boolean;
  /** Stuck transfers: bytes that arrived before the stall (from the receiving side). */
  stallAt?: number;
  /** Where the result came in the agent's output (results are written as probes finish). */
  finished?: number;
  /**
   * Stuck transfers the agent tried once more after the probes still waiting: the second attempt
   * passed, stalled again, or failed otherwise (the agent deadline, a refused connect).
   */
  retry?: 'passed' | 'stuck' | 'failed';
}

export type StallCause =
  /** A size limit: `because` says what shows it. */
  | { cause: 'size'; because: string }
  /** Not the size: `recovered` when the path carried traffic again after the stall. */
  | { cause: 'outage'; notSize: string[]; passedAfter: string[]; recovered: boolean }
  /** Nothing passed after the stall and nothing was measured: a size limit and an outage look alike. */
  | { cause: 'undecided' };

const direction = (kind: StallWitness['kind']): string => (kind === 'upload' ? 'upload' : 'download');

/** The measurements where an echo of the interface's full MTU came back: no size limit below it. */
function fullSizeAnswered(pathMtu: readonly PathMtuMeasurement[]): PathMtuMeasurement[] {
  return pathMtu.filter((m) => m.measured && m.below === undefined && m.mtu !== undefined && m.mtu === m.interfaceMtu);
}

/**
 * In order: full-size packets that did cross (64 KiB and more before the stall, or a full-size echo
 * after it) rule the size out; a path MTU measured below the interface's rules it in, even when the
 * stalled size passed on its retry (a transfer of about one packet near the limit fits or not by how its
 * answer is cut into segments: seen on the lab with a 1 KiB https download); then the same size passing
 * when retried rules it out; only then a larger transfer passing in the same direction rules it out (on
 * the lab a 1 KiB upload, one packet just above a 1282-byte link, stalled while the 64 KiB one, in
 * other segments, passed); a size stalling again when retried while smaller exchanges passed after
 * the first stall rules it in, and so (from agents that do not retry) does anything passing after it.
 */
export function judgeStallCause(items: readonly StallWitness[], pathMtu: readonly PathMtuMeasurement[]): StallCause {
  const stuck = items.filter((i) => i.stuck);
  if (stuck.length === 0) return { cause: 'undecided' };
  const stalledAt = Math.min(...stuck.map((s) => s.finished ?? Infinity));
  const passedAfter = items.filter((i) => i.passed && i.finished !== undefined && i.finished > stalledAt).map((i) => i.id);
  const passedOnRetry = stuck.filter((s) => s.retry === 'passed');
  const full = fullSizeAnswered(pathMtu);
  const outage = (notSize: string[]): StallCause => {
    const recoveredBy = [...passedAfter, ...passedOnRetry.map((s) => s.id).filter((id) => !passedAfter.includes(id))];
    return { cause: 'outage', notSize, passedAfter: recoveredBy, recovered: recoveredBy.length > 0 || full.length > 0 };
  };

  const retriedWhole = passedOnRetry.map((s) => `the ${sizeLabel(s.size ?? 0)} ${direction(s.kind)} passed whole when retried after the stall, so the path carries that size`);
  const crossed: string[] = [];
  const deep = stuck.find((s) => (s.stallAt ?? 0) >= FULL_SIZE_CROSSED_BYTES);
  if (deep !== undefined) crossed.push(`${deep.stallAt} bytes of the ${sizeLabel(deep.size ?? 0)} ${direction(deep.kind)} arrived before it stalled, so full-size packets did cross the path`);
  for (const m of full) crossed.push(`an echo of the full ${m.mtu} bytes with DF set crossed the path from the ${m.from} after the stall`);
  if (crossed.length > 0) return outage([...retriedWhole, ...crossed]);

  const limit = limitsBelowInterface(pathMtu)[0];
  if (limit !== undefined) {
    const fitted = passedOnRetry.map((s) => `; the ${sizeLabel(s.size ?? 0)} ${direction(s.kind)} passed when retried (its packets fitted that time)`).join('');
    return { cause: 'size', because: `the path MTU measured from the ${limit.from} is ${mtuFigure(limit)}, below the interface's ${limit.interfaceMtu}${fitted}` };
  }
  if (retriedWhole.length > 0) return outage(retriedWhole);

  const larger: string[] = [];
  for (const s of stuck) {
    const passed = items.find((i) => i.passed && i.kind === s.kind && (i.size ?? 0) > (s.size ?? 0));
    if (passed !== undefined) larger.push(`the ${sizeLabel(passed.size ?? 0)} ${direction(s.kind)} passed while the ${sizeLabel(s.size ?? 0)} one stalled`);
  }
  if (larger.length > 0) return outage(larger);
  const twice = stuck.find((s) => s.retry === 'stuck');
  if (twice !== undefined && passedAfter.length > 0) {
    return { cause: 'size', because: `the ${sizeLabel(twice.size ?? 0)} ${direction(twice.kind)} stalled again when retried, while ${passedAfter.length} smaller exchange${passedAfter.length === 1 ? '' : 's'} on the path passed after the first stall` };
  }
  if (passedAfter.length > 0) return { cause: 'size', because: `${passedAfter.length} smaller exchange${passedAfter.length === 1 ? '' : 's'} on the path passed after the stall` };
  return { cause: 'undecided' };
}

/** One clause for a summary: what the path MTU measurement found, or why there is none. */
export function pathMtuClause(pathMtu: readonly PathMtuMeasurement[] | undefined): string {
  if (pathMtu === undefined || pathMtu.length === 0) return 'path MTU not measured on this run';
  return pathMtu
    .map((m) =>
      m.measured
        ? `path MTU ${mtuFigure(m)} measured from the ${m.from} to ${m.to} (ICMP echo, DF set, ${m.probes.length} echoes)`
        : `path MTU not measured from the ${m.from} to ${m.to}: ${m.reason ?? 'no reason given'}`,
    )
    .join('; ');
}
