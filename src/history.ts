/**
 * Run history (`--history DIR`): one JSON report per run, named `<run id>.json`, newest kept.
 * Run ids start with the UTC start time (20240131T235959-1a2b3c), so file names sort by age. Only
 * files named like that are ever read as history or deleted; anything else in DIR is left alone.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from './errors.js';
import { renderJson } from './render/json.js';
import { writeFileAtomic } from './render/write-file.js';
import type { Report } from './report.js';
import { readReportFile } from './report-file.js';

export const DEFAULT_KEEP = 30;

/** A run id as controller/run/run.ts makes them: UTC start time to the second, then random hex. */
const RUN_ID = /^\d{8}T\d{6}-[0-9a-f]+$/;
const RUN_FILE = /^\d{8}T\d{6}-[0-9a-f]+\.json$/;

function errno(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * Whether DIR can be the history directory: an existing directory, or a new one whose parent exists.
 * Only the last level is ever made: a typo higher up the path (a cron job's) fails loudly here rather
 * than growing a new tree that no later run looks in. Nothing is created; `openHistory` does that.
 */
export function checkHistoryDir(dir: string): { exists: boolean } {
  const fail = (message: string, err?: unknown): never => {
    throw new InputError(message, { file: dir, field: '--history' }, err === undefined ? undefined : { cause: err });
  };
  try {
    if (!statSync(dir).isDirectory()) fail('cannot use it as the history directory: it is not a directory');
    return { exists: true };
  } catch (err) {
    if (err instanceof InputError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') fail(`cannot use it as the history directory: ${errno(err)}`, err);
  }
  const parent = dirname(resolve(dir));
  let parentIsDir = false;
  try {
    parentIsDir = statSync(parent).isDirectory();
  } catch {
    // reported below
  }
  if (!parentIsDir) fail(`the history directory does not exist, and neither does its parent ${parent}; twoway makes only the last level (check the path, or create ${parent} first)`);
  return { exists: false };
}

/** Checks DIR as `checkHistoryDir` does and makes it when only it is missing; says whether it did. */
export function openHistory(dir: string): { created: boolean } {
  if (checkHistoryDir(dir).exists) return { created: false };
  try {
    mkdirSync(dir);
  } catch (err) {
    // Another run made it meanwhile: that is the directory wanted.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && checkHistoryDir(dir).exists) return { created: false };
    throw new InputError(`cannot make the history directory: ${errno(err)}`, { file: dir, field: '--history' }, { cause: err });
  }
  return { created: true };
}

/**
 * The stored runs' file names, oldest first. A missing directory holds none. Ids carry the start time
 * to the second only, so runs started within one second are ordered by when they were stored.
 */
export function listRuns(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new InputError(`cannot list the history directory: ${errno(err)}`, { file: dir, field: '--history' }, { cause: err });
  }
  const runs = names.filter((n) => RUN_FILE.test(n)).map((name) => ({ name, second: name.slice(0, 15), stored: storedAt(join(dir, name)) }));
  runs.sort((a, b) => (a.second !== b.second ? (a.second < b.second ? -1 : 1) : a.stored - b.stored || (a.name < b.name ? -1 : 1)));
  return runs.map((r) => r.name);
}

function storedAt(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0; // Removed meanwhile (another run pruning): sorts first, so it is pruned or skipped.
  }
}

/**
 * Stores the report as `<run id>.json` (atomically: a reader never sees half a file, and the
 * temporary name never matches a run's), then deletes the oldest runs beyond `keep`. Returns the
 * file and the names removed.
 */
export function saveRun(dir: string, report: Report, keep: number): { file: string; removed: string[] } {
  if (!RUN_ID.test(report.run.id)) throw new Error(`run id "${report.run.id}" does not have the history's naming pattern`);
  const name = `${report.run.id}.json`;
  const file = join(dir, name);
  try {
    writeFileAtomic(file, renderJson(report));
  } catch (err) {
    throw new InputError(`cannot store the run: ${errno(err)}`, { file, field: '--history' }, { cause: err });
  }
  const runs = listRuns(dir);
  const removed = runs.slice(0, Math.max(0, runs.length - keep));
  for (const old of removed) rmSync(join(dir, old), { force: true });
  return { file, removed };
}

/**
 * The newest stored run that finished (interrupted runs are stored, but measured only part of the
 * fleet, so they make poor baselines). Files are read newest first until one qualifies; a file
 * that is not a valid report is an error naming it, rather than silently skipped.
 */
export function lastRun(dir: string): { file: string; report: Report } | undefined {
  for (const name of listRuns(dir).reverse()) {
    const file = join(dir, name);
    const report = readReportFile(file, '--baseline');
    if (!report.run.interrupted) return { file, report };
  }
  return undefined;
}
