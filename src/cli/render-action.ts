/** What `twoway render` does (src/cli/render.ts registers it): read the report, write its formats, print it, exit as its run did. */
import { InputError } from '../errors.js';
import { getRunExitCode } from '../report.js';
import { replayJsonl } from '../render/jsonl.js';
import { renderTerminal } from '../render/terminal.js';
import { renderNagios } from '../render/nagios.js';
import { writeFileAtomic } from '../render/write-file.js';
import { checkOutputFiles, outputFlagsOf, type OutputFlags } from './output-options.js';
import { writeReportFiles } from './outputs.js';
import { readReportFile } from '../report-file.js';

export interface RenderFlags extends OutputFlags {
  color: boolean;
  nagios: boolean;
}

export function renderAction(file: string, flags: RenderFlags): void {
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
}
