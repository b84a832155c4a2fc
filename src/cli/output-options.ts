/**
 * The report-file flags every reporting command takes, and their check: each file's directory exists
 * and no two formats share a file, so a typo in a path fails at once (exit 2), not after a long run.
 * Kept apart from the renderers (src/cli/outputs.ts), which only an action that writes a report loads.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';

/** The formats written from a finished report; JSON Lines is written as the run goes. */
export const FILE_FORMATS = ['json', 'junit', 'prom', 'html', 'tap'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export type OutputFlags = { [K in FileFormat | 'jsonl']?: string };

export function addOutputOptions(command: Command): Command {
  return command
    .option('--json <file>', 'write the JSON report here')
    .option('--jsonl <file>', 'write JSON Lines here: each event as it happens, the run summary last')
    .option('--junit <file>', 'write JUnit XML here (a testsuite per node, a testcase per path)')
    .option('--prom <file>', 'write a Prometheus textfile-collector file here')
    .option('--html <file>', 'write a self-contained HTML report here')
    .option('--tap <file>', 'write TAP version 14 here (a test point per node, a subtest per path)')
    .option('--nagios', 'print the Nagios/Icinga plug-in line with performance data instead of the terminal report, and exit 0/1/2/3 (OK/WARNING/CRITICAL/UNKNOWN)', false);
}

/** Just the output flags of a command's flags. */
export function outputFlagsOf(flags: OutputFlags): OutputFlags {
  return { json: flags.json, jsonl: flags.jsonl, junit: flags.junit, prom: flags.prom, html: flags.html, tap: flags.tap };
}

/** Every output file's directory exists; no two formats share a file. */
export function checkOutputFiles(flags: OutputFlags): void {
  const seen = new Map<string, string>();
  for (const [format, file] of Object.entries(flags)) {
    if (file === undefined) continue;
    const flag = `--${format}`;
    const other = seen.get(resolve(file));
    if (other !== undefined) throw new InputError(`${file} is also the file of ${other}`, { field: flag });
    seen.set(resolve(file), flag);
    let isDir = false;
    try {
      isDir = statSync(dirname(resolve(file))).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new InputError(`the directory ${dirname(resolve(file))} does not exist`, { file, field: flag });
  }
}
