/** `twoway diff OLD NEW`: what changed between two JSON reports; exit 1 on new breakage, 0 otherwise, 2 on bad input. */
import { writeFileAtomic } from '../render/write-file.js';
import { Command } from 'commander';
import { diffReports, newBreakage, type ReportDiff } from '../diff.js';
import { renderDiff } from '../render/diff.js';
import { readReportFile } from '../report-file.js';

export function renderDiffJson(diff: ReportDiff): string {
  return `${JSON.stringify(diff, null, 2)}\n`;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('compare two JSON reports per node and path: new failures, changed kinds, fixes (exit 1 on new breakage)')
    .argument('<old>', 'the earlier report (twoway run --json, or a --history file)')
    .argument('<new>', 'the later report')
    .option('--json <file>', 'also write the diff as JSON ("-": to stdout, instead of the text)')
    .action((oldFile: string, newFile: string, flags: { json?: string }) => {
      const oldReport = readReportFile(oldFile, '<old>');
      const newReport = readReportFile(newFile, '<new>');
      const diff = diffReports(oldReport, newReport);
      if (flags.json !== '-') process.stdout.write(renderDiff(diff, `Compared ${newReport.run.id} with ${oldReport.run.id}`));
      if (flags.json === '-') process.stdout.write(renderDiffJson(diff));
      else if (flags.json !== undefined) writeFileAtomic(flags.json, renderDiffJson(diff));
      process.exitCode = newBreakage(diff).length > 0 ? 1 : 0;
    });
}
