/**
 * The report files a run (or `twoway render`, `twoway merge`) writes: several formats at once, each
 * from the same Report, each replaced atomically. The flags and their check are in
 * src/cli/output-options.ts.
 */
import { InputError } from '../errors.js';
import type { Report } from '../report.js';
import { JsonlWriter } from '../render/jsonl.js';
import { renderHtml } from '../render/html.js';
import { renderJson } from '../render/json.js';
import { renderJunit } from '../render/junit.js';
import { renderProm } from '../render/prom.js';
import { renderTap } from '../render/tap.js';
import { writeFileAtomic } from '../render/write-file.js';
import { FILE_FORMATS, type FileFormat, type OutputFlags } from './output-options.js';

const FILE_RENDERERS: Readonly<Record<FileFormat, (report: Report) => string>> = { json: renderJson, junit: renderJunit, prom: renderProm, html: renderHtml, tap: renderTap };

export function writeReportFiles(report: Report, flags: OutputFlags): void {
  for (const format of FILE_FORMATS) {
    const file = flags[format];
    if (file !== undefined) writeFileAtomic(file, FILE_RENDERERS[format](report));
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
