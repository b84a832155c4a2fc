/**
 * `twoway history DIR`: the runs stored with `twoway run --history DIR`, as a timeline per node and
 * path (src/timeline.ts): text on stdout, `--json FILE` (or `-`: instead of the text), `--html FILE`.
 * Reports are read one at a time, so hundreds of runs of a large fleet fit in memory. Exits 0 (it is
 * a view; `twoway diff` and `--baseline` are the checks), 2 on a missing directory or a bad report.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { listRuns } from '../history.js';
import type { Report } from '../report.js';
import { readReportFile } from '../report-file.js';
import { renderHistoryHtml } from '../render/history-html.js';
import { renderHistoryJson, renderHistoryText } from '../render/history.js';
import { writeFileAtomic } from '../render/write-file.js';
import { buildTimeline } from '../timeline.js';
import { checkOutputFiles } from './outputs.js';

function* storedReports(dir: string): Generator<Report> {
  for (const name of listRuns(dir)) yield readReportFile(join(dir, name), 'DIR');
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('the runs stored with run --history DIR as a timeline per node and path: when each broke and was fixed, which flap, the state now')
    .argument('<dir>', 'the --history directory')
    .option('--json <file>', 'also write the timeline as JSON ("-": to stdout, instead of the text)')
    .option('--html <file>', 'also write the timeline as a self-contained HTML page')
    .action((dir: string, flags: { json?: string; html?: string }) => {
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
    });
}
