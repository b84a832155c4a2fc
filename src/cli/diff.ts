/** `twoway diff OLD NEW`: what changed between two JSON reports; exit 1 on new breakage, 0 otherwise, 2 on bad input. */
import type { Command } from 'commander';

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('compare two JSON reports per node and path: new failures, changed kinds, fixes (exit 1 on new breakage)')
    .argument('<old>', 'the earlier report (twoway run --json, or a --history file)')
    .argument('<new>', 'the later report')
    .option('--json <file>', 'also write the diff as JSON ("-": to stdout, instead of the text)')
    .action(async (oldFile: string, newFile: string, flags: { json?: string }) => {
      const { diffAction } = await import('./diff-action.js');
      diffAction(oldFile, newFile, flags);
    });
}
