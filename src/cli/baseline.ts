/**
 * `twoway run --history DIR --keep N --baseline FILE|last --fail-on any|new`: settled before the run
 * (a bad baseline or directory exits 2 with nothing started), applied after it (store the run,
 * compare, pick the exit code).
 */
import { diffReports, exitCodeFor, type FailOn } from '../diff.js';
import { InputError } from '../errors.js';
import { DEFAULT_KEEP, checkHistoryDir, lastRun, openHistory, saveRun } from '../history.js';
import { renderDiff } from '../render/diff.js';
import type { Report } from '../report.js';
import { readReportFile } from '../report-file.js';
import { parseIntIn } from './parse.js';

export interface BaselineFlags {
  history?: string;
  keep?: string;
  baseline?: string;
  failOn?: FailOn;
}

export interface BaselinePlan {
  history?: { dir: string; keep: number };
  baseline?: { file: string; report: Report };
  failOn: FailOn;
  /** Said on stderr before the run (e.g. that `last` found no earlier run). */
  notes: string[];
}

/** The flags agree with each other and --history can be used; reads no file, so it runs before any is read. Returns --keep. */
export function checkBaselineFlags(flags: BaselineFlags): { keep: number } {
  if (flags.keep !== undefined && flags.history === undefined) throw new InputError('--keep needs --history DIR', { field: '--keep' });
  const keep = flags.keep === undefined ? DEFAULT_KEEP : parseIntIn(flags.keep, '--keep', 1, 100_000);
  if (flags.baseline === 'last' && flags.history === undefined) throw new InputError('"last" means the newest run stored with --history DIR; give --history, or a report file', { field: '--baseline' });
  if (flags.failOn === 'new' && flags.baseline === undefined) throw new InputError('--fail-on new needs --baseline FILE|last to tell new from known failures', { field: '--fail-on' });
  if (flags.history !== undefined) checkHistoryDir(flags.history);
  return { keep };
}

/** Checks the flags, makes the history directory if only its last level is missing, and loads the baseline. */
export function planBaseline(flags: BaselineFlags): BaselinePlan {
  const { keep } = checkBaselineFlags(flags);
  const notes: string[] = [];
  let history: BaselinePlan['history'];
  if (flags.history !== undefined) {
    if (openHistory(flags.history).created) notes.push(`twoway: made the history directory ${flags.history}`);
    history = { dir: flags.history, keep };
  }

  let baseline: BaselinePlan['baseline'];
  if (flags.baseline === 'last') {
    baseline = history === undefined ? undefined : lastRun(history.dir);
    if (baseline === undefined) notes.push(`twoway: no earlier finished run in ${flags.history}; nothing to compare with, so any failure fails this run`);
  } else if (flags.baseline !== undefined) {
    baseline = { file: flags.baseline, report: readReportFile(flags.baseline, '--baseline') };
  }

  // With a baseline, only new breakage fails the run; `last` with an empty history falls back to any.
  const failOn: FailOn = baseline === undefined ? 'any' : (flags.failOn ?? 'new');
  if (baseline !== undefined && baseline.report.run.interrupted) notes.push(`twoway: the baseline ${baseline.file} is an interrupted run; nodes it did not reach count as not measured`);
  return { ...(history === undefined ? {} : { history }), ...(baseline === undefined ? {} : { baseline }), failOn, notes };
}

/** After the run: store it, compare it; returns the text to print after the report and the exit code. */
export function finishWithBaseline(plan: BaselinePlan, report: Report): { text: string; exitCode: number } {
  if (plan.history !== undefined) saveRun(plan.history.dir, report, plan.history.keep);
  const diff = plan.baseline === undefined ? undefined : diffReports(plan.baseline.report, report);
  const text = diff === undefined ? '' : `\n${renderDiff(diff, `Compared with baseline ${diff.old.id}`)}`;
  return { text, exitCode: report.run.interrupted ? 130 : exitCodeFor(report, plan.failOn, diff) };
}
