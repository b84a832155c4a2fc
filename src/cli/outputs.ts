/**
 * The report files a run (or `twoway render`) writes: several formats at once, each from the same
 * Report, each replaced atomically. Their directories are checked before anything starts, so a typo
 * in a path fails at once (exit 2), not after a long run.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import type { Report } from '../report.js';
import { JsonlWriter } from '../render/jsonl.js';
import { renderHtml } from '../render/html.js';
import { renderJson } from '../render/json.js';
import { renderJunit } from '../render/junit.js';
import { renderProm } from '../render/prom.js';
import { renderTap } from '../render/tap.js';
import { writeFileAtomic } from '../render/write-file.js';

const FILE_RENDERERS = { json: renderJson, junit: renderJunit, prom: renderProm, html: renderHtml, tap: renderTap } as const;

export type OutputFlags = { [K in keyof typeof FILE_RENDERERS | 'jsonl']?: string };

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

export function writeReportFiles(report: Report, flags: OutputFlags): void {
  for (const [format, render] of Object.entries(FILE_RENDERERS)) {
    const file = flags[format as keyof typeof FILE_RENDERERS];
    if (file !== undefined) writeFileAtomic(file, render(report));
  }
}

/** The JSON Lines file is opened before the run starts, so an unwritable one is bad input (exit 2). */
export function openJsonl(file: string): JsonlWriter {
  try {
    return new JsonlWriter(file);
  } catch (err) {
    throw new InputError(`cannot write it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file, field: '--jsonl' }, { cause: err });
  }
}
