/**
 * `twoway merge REPORT...`: the JSON reports of several controllers (`twoway run --shard I/N`, or
 * one inventory per site) as one report, with the fleet findings made again across all their nodes
 * (controller/run/merge.ts). Writes the formats `run` writes and exits by the run's rule: 0 no
 * fault, 1 a fault, 130 when a run it joins was interrupted, 2 when the reports cannot be joined.
 */
import type { Command } from 'commander';
import { addOutputOptions } from './output-options.js';
import type { MergeFlags } from './merge-action.js';

export function registerMerge(program: Command): void {
  const command = program
    .command('merge')
    .description("join the JSON reports of several controllers (run --shard I/N, or a site each) into one report, fleet findings made across all nodes; exit as run does")
    .argument('<report...>', 'JSON reports written by twoway run --json')
    .option('--profiles <file>', 'the custom profile file the runs used (for the fixes of nodes with its profiles)')
    .option('--partial', 'merge also when shards of the split are missing (the report lists them); default: refuse', false)
    .option('--no-color', 'no colour in the terminal report (also: NO_COLOR)');
  addOutputOptions(command).action(async (files: string[], flags: MergeFlags) => {
    const { mergeAction } = await import('./merge-action.js');
    await mergeAction(files, flags);
  });
}
