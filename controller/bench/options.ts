/** `npm run bench -- [flags]`: the flags, parsed and checked (pure). */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InputError } from '../../src/errors.js';
import { FLEET_MAX_NODES } from '../lab/fleet.js';

export interface BenchOptions {
  /** Healthy fleet nodes (the one node with dropped callbacks comes on top). */
  nodes: number;
  /** Measured runs of each mode. */
  reps: number;
  /** Nodes at once, the same for every mode. */
  concurrency: number;
  /** Directory for the JSON and Markdown results (and each run's own files). */
  out: string;
  /** Leave the lab up at the end. */
  keepLab: boolean;
}

export const BENCH_USAGE = `usage: npm run bench -- [--nodes N] [--reps R] [--concurrency C] [--out DIR] [--keep-lab]
  --nodes N        healthy lab nodes, 1 to ${FLEET_MAX_NODES} (default 50); one node with dropped callbacks is added
  --reps R         measured runs of each mode, alternating (default 3)
  --concurrency C  nodes at once in every mode (default 16, as twoway run's default)
  --out DIR        where the JSON and Markdown results go (default bench-results)
  --keep-lab       leave the lab up at the end (default: tear it down)`;

/** A whole-number flag within [min, max], or the fallback when it is absent (the soak's flags too). */
export function wholeIn(text: string | undefined, fallback: number, flag: string, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new InputError(`expected a whole number from ${min} to ${max}, got "${text}"`, { field: flag });
  }
  return Number(text);
}

/** The flags of a lab tool (bench, soak): strict, no positionals, -h/--help; a usage error carries the usage text. */
export function parseToolFlags<O extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: O, usage: string) {
  try {
    return parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new InputError(`${(err as Error).message}\n${usage}`);
  }
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  const v = parseToolFlags(
    argv,
    { nodes: { type: 'string' }, reps: { type: 'string' }, concurrency: { type: 'string' }, out: { type: 'string' }, 'keep-lab': { type: 'boolean' } },
    BENCH_USAGE,
  );
  if (v.help === true) return 'help';
  if (v.out === '') throw new InputError('expected a directory', { field: '--out' });
  return {
    nodes: wholeIn(v.nodes, 50, '--nodes', 1, FLEET_MAX_NODES),
    reps: wholeIn(v.reps, 3, '--reps', 1, 20),
    concurrency: wholeIn(v.concurrency, 16, '--concurrency', 1, 256),
    out: v.out ?? 'bench-results',
    keepLab: v['keep-lab'] === true,
  };
}
