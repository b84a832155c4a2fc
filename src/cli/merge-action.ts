/** What `twoway merge` does (src/cli/merge.ts registers it): read the reports, join them, write and print the result. */
import { mergeReports, missingShards } from '../../controller/run/merge.js';
import { DEFAULT_PROFILE } from '../profiles.js';
import { getRunExitCode } from '../report.js';
import { readReportFile } from '../report-file.js';
import { replayJsonl } from '../render/jsonl.js';
import { renderTerminal } from '../render/terminal.js';
import { writeFileAtomic } from '../render/write-file.js';
import { checkOutputFiles, outputFlagsOf, type OutputFlags } from './output-options.js';
import { writeReportFiles } from './outputs.js';
import { profilesFor } from './profile-choice.js';

export interface MergeFlags extends OutputFlags {
  profiles?: string;
  partial: boolean;
  color: boolean;
}

export async function mergeAction(files: string[], flags: MergeFlags): Promise<void> {
  const outputs = outputFlagsOf(flags);
  checkOutputFiles(outputs);
  const profiles = await profilesFor({ profile: DEFAULT_PROFILE, ...(flags.profiles === undefined ? {} : { profiles: flags.profiles }) });
  const inputs = files.map((file) => ({ file, report: readReportFile(file, '<report>') }));
  const report = mergeReports(inputs, { hintsOf: (name) => (Object.hasOwn(profiles, name) ? profiles[name]!.hints : undefined), partial: flags.partial });
  writeReportFiles(report, outputs);
  if (outputs.jsonl !== undefined) writeFileAtomic(outputs.jsonl, replayJsonl(report));
  const color = flags.color && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  process.stdout.write(renderTerminal(report, { color }));
  const missing = missingShards(inputs);
  process.stdout.write(`Merged ${inputs.length} report(s)${missing.length === 0 ? '' : `; shard(s) ${missing.join(', ')} missing: their nodes are not in this report`}\n`);
  process.exitCode = getRunExitCode(report);
}
