/**
 * `twoway merge REPORT...`: the JSON reports of several controllers (`twoway run --shard I/N`, or
 * one inventory per site) as one report, with the fleet findings made again across all their nodes
 * (controller/run/merge.ts). Writes the formats `run` writes and exits by the run's rule: 0 no
 * fault, 1 a fault, 130 when a run it joins was interrupted, 2 when the reports cannot be joined.
 */
import type { Command } from 'commander';
import { mergeReports, missingShards } from '../../controller/run/merge.js';
import { DEFAULT_PROFILE } from '../profiles.js';
import { getRunExitCode } from '../report.js';
import { readReportFile } from '../report-file.js';
import { replayJsonl } from '../render/jsonl.js';
import { renderTerminal } from '../render/terminal.js';
import { writeFileAtomic } from '../render/write-file.js';
import { addOutputOptions, checkOutputFiles, outputFlagsOf, writeReportFiles, type OutputFlags } from './outputs.js';
import { profilesFor } from './run.js';

interface MergeFlags extends OutputFlags {
  profiles?: string;
  partial: boolean;
  color: boolean;
}

export function registerMerge(program: Command): void {
  const command = program
    .command('merge')
    .description("join the JSON reports of several controllers (run --shard I/N, or a site each) into one report, fleet findings made across all nodes; exit as run does")
    .argument('<report...>', 'JSON reports written by twoway run --json')
    .option('--profiles <file>', 'the custom profile file the runs used (for the fixes of nodes with its profiles)')
    .option('--partial', 'merge also when shards of the split are missing (the report lists them); default: refuse', false)
    .option('--no-color', 'no colour in the terminal report (also: NO_COLOR)');
  addOutputOptions(command).action((files: string[], flags: MergeFlags) => {
    const outputs = outputFlagsOf(flags);
    checkOutputFiles(outputs);
    const profiles = profilesFor({ profile: DEFAULT_PROFILE, ...(flags.profiles === undefined ? {} : { profiles: flags.profiles }) });
    const inputs = files.map((file) => ({ file, report: readReportFile(file, '<report>') }));
    const report = mergeReports(inputs, { hintsOf: (name) => (Object.hasOwn(profiles, name) ? profiles[name]!.hints : undefined), partial: flags.partial });
    writeReportFiles(report, outputs);
    if (outputs.jsonl !== undefined) writeFileAtomic(outputs.jsonl, replayJsonl(report));
    const color = flags.color && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
    process.stdout.write(renderTerminal(report, { color }));
    const missing = missingShards(inputs);
    process.stdout.write(`Merged ${inputs.length} report(s)${missing.length === 0 ? '' : `; shard(s) ${missing.join(', ')} missing: their nodes are not in this report`}\n`);
    process.exitCode = getRunExitCode(report);
  });
}
