/**
 * `twoway demo` (npm run demo): build the lab, run twoway against it as an operator would, check each
 * scenario's diagnosis against the lab's table, optionally run again and compare the verdicts with
 * the first run, repeat with each lab-wide fault on, and tear down the lab it built, also when
 * interrupted (SIGINT, SIGTERM, SIGHUP: the current run stops, no new one starts).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { parseSeed } from '../../controller/lab/params.js';
import type { DemoOptions } from './demo-run.js';

function seedArgument(text: string): number {
  try {
    return parseSeed(text, 'the seed');
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('a whole number from 1 to 100');
  return n;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('build the lab, diagnose every fault scenario in it, and tear it down (a lab that was already up stays up; Linux, root)')
    .option('--keep', 'leave the lab up afterwards', false)
    .option('--repeat <n>', 'run the plain scenario run N times and fail unless every run has the first run\'s verdicts', positiveInteger, 1)
    .option('--seed <n>', 'build the lab with the fault values of this seed (twoway lab up --seed); default: random, printed', seedArgument)
    .option('--save <dir>', 'keep each run\'s JSON report in DIR (run-1.json, ..., <fault>.json), for twoway diff')
    .action(async (flags: DemoOptions) => {
      const { demo } = await import('./demo-run.js');
      process.exitCode = await demo(flags);
    });
}
