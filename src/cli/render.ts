/**
 * `twoway render REPORT.json`: the formats of a saved JSON report, without a run. Prints the terminal
 * report and exits as the run did (0, 1, or 130 for an interrupted run), so a cron job can re-render
 * yesterday's report, and the golden tests exercise the same code path as a run's output.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { REPORT_VERSION, getRunExitCode, type Report } from '../report.js';
import { replayJsonl } from '../render/jsonl.js';
import { renderTerminal } from '../render/terminal.js';
import { writeFileAtomic } from '../render/write-file.js';
import { addOutputOptions, checkOutputFiles, outputFlagsOf, writeReportFiles, type OutputFlags } from './outputs.js';

interface RenderFlags extends OutputFlags {
  color: boolean;
}

export function loadReport(file: string): Report {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file }, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
  const report = doc as Partial<Report> | null;
  if (typeof report !== 'object' || report === null || report.version !== REPORT_VERSION) {
    throw new InputError(`expected a twoway JSON report (version ${REPORT_VERSION}), found version ${JSON.stringify(report?.version)}`, { file, field: 'version' });
  }
  for (const field of ['run', 'nodes', 'findings', 'summary'] as const) {
    if (report[field] === undefined) throw new InputError('missing in the report', { file, field });
  }
  return report as Report;
}

export function registerRender(program: Command): void {
  const command = program
    .command('render')
    .description('write the formats of a saved JSON report (from run --json) and print its terminal report')
    .argument('<report>', 'a JSON report written by twoway run --json')
    .option('--no-color', 'no colour in the terminal report (also: NO_COLOR)');
  addOutputOptions(command).action((file: string, flags: RenderFlags) => {
    const report = loadReport(file);
    const outputs = outputFlagsOf(flags);
    checkOutputFiles(outputs);
    writeReportFiles(report, outputs);
    if (outputs.jsonl !== undefined) writeFileAtomic(outputs.jsonl, replayJsonl(report));
    const color = flags.color && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
    process.stdout.write(renderTerminal(report, { color }));
    process.exitCode = getRunExitCode(report);
  });
}
