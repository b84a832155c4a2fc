/** What `twoway diff` does (src/cli/diff.ts registers it): read both reports, compare, print or write the diff, set the exit code. */
import { writeFileAtomic } from '../render/write-file.js';
import { diffReports, newBreakage, type ReportDiff } from '../diff.js';
import { renderDiff } from '../render/diff.js';
import { readReportFile } from '../report-file.js';

export function renderDiffJson(diff: ReportDiff): string {
  return `${JSON.stringify(diff, null, 2)}\n`;
}

export function diffAction(oldFile: string, newFile: string, flags: { json?: string }): void {
  const oldReport = readReportFile(oldFile, '<old>');
  const newReport = readReportFile(newFile, '<new>');
  const diff = diffReports(oldReport, newReport);
  if (flags.json !== '-') process.stdout.write(renderDiff(diff, `Compared ${newReport.run.id} with ${oldReport.run.id}`));
  if (flags.json === '-') process.stdout.write(renderDiffJson(diff));
  else if (flags.json !== undefined) writeFileAtomic(flags.json, renderDiffJson(diff));
  process.exitCode = newBreakage(diff).length > 0 ? 1 : 0;
}
