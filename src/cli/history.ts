/**
 * `twoway history DIR`: the runs stored with `twoway run --history DIR`, as a timeline per node and
 * path (src/timeline.ts): text on stdout, `--json FILE` (or `-`: instead of the text), `--html FILE`.
 * Reports are read one at a time, so hundreds of runs of a large fleet fit in memory. Exits 0 (it is
 * a view; `twoway diff` and `--baseline` are the checks), 2 on a missing directory or a bad report.
 */
import type { Command } from 'commander';

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('the runs stored with run --history DIR as a timeline per node and path: when each broke and was fixed, which flap, the state now')
    .argument('<dir>', 'the --history directory')
    .option('--json <file>', 'also write the timeline as JSON ("-": to stdout, instead of the text)')
    .option('--html <file>', 'also write the timeline as a self-contained HTML page')
    .action(async (dir: string, flags: { json?: string; html?: string }) => {
      const { historyAction } = await import('./history-action.js');
      historyAction(dir, flags);
    });
}
