/**
 * `twoway render REPORT.json`: the formats of a saved JSON report, without a run. Prints the terminal
 * report and exits as the run's own result did (0, 1, or 130 for an interrupted run; a --baseline
 * comparison is not part of the report and not redone here), so a cron job can re-render
 * yesterday's report, and the golden tests exercise the same code path as a run's output.
 */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { getRunExitCode } from '../report.js';
import { replayJsonl } from '../render/jsonl.js';
import { renderTerminal } from '../render/terminal.js';
import { renderNagios } from '../render/nagios.js';
import { writeFileAtomic } from '../render/write-file.js';
import { addOutputOptions, checkOutputFiles, outputFlagsOf, writeReportFiles, type OutputFlags } from './outputs.js';
import { readReportFile } from '../report-file.js';

interface RenderFlags extends OutputFlags {
  color: boolean;
  nagios: boolean;
}

export function registerRender(program: Command): void {
  const command = program
    .command('render')
    .description('write the formats of a saved JSON report (from run --json) and print its terminal report')
    .argument('<report>', 'a JSON report written by twoway run --json')
    .option('--no-color', 'no colour in the terminal report (also: NO_COLOR)');
  addOutputOptions(command).action((file: string, flags: RenderFlags) => {
    const report = readReportFile(file);
    // Reports from before fleet findings existed lack them; the renderers need both fields.
    for (const field of ['findings', 'summary'] as const) if (report[field] === undefined) throw new InputError('missing in the report (written by an older twoway: re-run it)', { file, field });
    const outputs = outputFlagsOf(flags);
    checkOutputFiles(outputs);
    const color = flags.color && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
    let out: { text: string; exitCode: number };
    try {
      writeReportFiles(report, outputs);
      if (outputs.jsonl !== undefined) writeFileAtomic(outputs.jsonl, replayJsonl(report));
      // --nagios: the plug-in line instead of the terminal report, and the plug-in's exit code.
      out = flags.nagios ? renderNagios(report) : { text: renderTerminal(report, { color }), exitCode: getRunExitCode(report) };
    } catch (err) {
      // The reader checks the fields a comparison needs; the renderers read many more. A file that
      // lacks one is bad input (exit 2), not a crash with a stack trace.
      if (!(err instanceof TypeError)) throw err;
      throw new InputError(`cannot render it: ${err.message}; expected a complete report written by this twoway (twoway run --json)`, { file }, { cause: err });
    }
    process.stdout.write(out.text);
    process.exitCode = out.exitCode;
  });
}
