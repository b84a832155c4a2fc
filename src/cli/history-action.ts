/** What `twoway history` does (src/cli/history.ts registers it): read the stored runs one at a time, build the timeline, print and write it. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { listRuns } from '../history.js';
import type { Report } from '../report.js';
import { readReportFile } from '../report-file.js';
import { renderHistoryHtml } from '../render/history-html.js';
import { renderHistoryJson, renderHistoryText } from '../render/history.js';
import { writeFileAtomic } from '../render/write-file.js';
import { buildTimeline } from '../timeline.js';
import { checkOutputFiles } from './output-options.js';

function* storedReports(dir: string): Generator<Report> {
  for (const name of listRuns(dir)) yield readReportFile(join(dir, name), 'DIR');
}

export function historyAction(dir: string, flags: { json?: string; html?: string }): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new InputError('not a directory (give the --history directory of twoway run)', { file: dir });
  checkOutputFiles({ ...(flags.json === undefined || flags.json === '-' ? {} : { json: flags.json }), ...(flags.html === undefined ? {} : { html: flags.html }) });
  const timeline = buildTimeline(storedReports(dir));
  if (flags.html !== undefined) writeFileAtomic(flags.html, renderHistoryHtml(timeline, dir));
  if (flags.json === '-') process.stdout.write(renderHistoryJson(timeline));
  else {
    if (flags.json !== undefined) writeFileAtomic(flags.json, renderHistoryJson(timeline));
    process.stdout.write(renderHistoryText(timeline, dir));
  }
}
