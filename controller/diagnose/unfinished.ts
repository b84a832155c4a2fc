/**
 * The callback paths of a node whose session ended before the agent's "done" (the SSH session
 * broke, the agent failed or timed out): judged from what arrived on either channel, never thrown
 * away. The probes the agent reported give the path its verdict; the others are listed as not
 * measured, with why, and with what the listener's ledger saw of them: a callback that reached the
 * listener is the controller's own evidence even when the agent's line about it never came back.
 * A path where nothing arrived on either channel is not measured. Pure.
 */
import type { CallbackEvidence, ListenerWitness, NotRunEvidence, UnfinishedFields } from '../../src/evidence.js';
import { judgeCallbackPath } from './callback.js';
import { sum, type ObservedProbe, type PathContext, type PathJudgement } from './probe.js';
import { describe } from './wording.js';

/** Why the probes without a result were not measured, and the summary of a path where nothing arrived at all. */
export interface Unfinished {
  why: string;
  nothingArrived: string;
}

/** What the listener's ledger saw of each probe the agent never reported. */
function listenerWitnesses(missing: readonly ObservedProbe[]): ListenerWitness[] {
  return missing
    .filter((i) => i.ledger.length > 0)
    .map((i) => ({
      probe: i.probe.id,
      at: i.ledger.reduce((first, r) => Math.min(first, r.at), Infinity),
      completed: i.ledger.some((r) => r.completed),
      bytesWritten: sum(i.ledger, 'bytesWritten'),
      bytesReceived: sum(i.ledger, 'bytesReceived'),
    }));
}

/** "; the listener saw hello (answered), idle hold (answer unfinished) arrive", or ''. */
function witnessNote(missing: readonly ObservedProbe[]): string {
  const seen = missing.filter((i) => i.ledger.length > 0).map((i) => `${describe(i.probe)} (${i.ledger.some((r) => r.completed) ? 'answered' : 'answer unfinished'})`);
  return seen.length === 0 ? '' : `; the listener saw ${seen.join(', ')} arrive`;
}

/** The not-measured fields of a path: which probes, why, and what the listener saw of them. */
function unfinishedFields(missing: readonly ObservedProbe[], why: string): UnfinishedFields {
  const listenerSaw = listenerWitnesses(missing);
  return { notMeasured: missing.map((i) => i.probe.id), notMeasuredWhy: why, ...(listenerSaw.length === 0 ? {} : { listenerSaw }) };
}

/** A path none of whose probes the agent reported: not measured, with what the listener saw of them. */
export function unreportedPath(missing: readonly ObservedProbe[], unfinished: Unfinished): PathJudgement<NotRunEvidence> {
  // Nothing on either channel: the path as a node that never ran would have it.
  if (missing.every((i) => i.ledger.length === 0)) return { verdict: 'not-measured', summary: unfinished.nothingArrived, evidence: { kind: 'not-run' } };
  return { verdict: 'not-measured', summary: `${unfinished.nothingArrived}${witnessNote(missing)}`, evidence: { kind: 'not-run', ...unfinishedFields(missing, unfinished.why) } };
}

/** A web callback path of a node whose session ended early: its verdict from the probes that reported. */
export function judgeUnfinishedPath(items: readonly ObservedProbe[], ctx: PathContext, unfinished: Unfinished): PathJudgement<CallbackEvidence> {
  const reported = items.filter((i) => i.result !== undefined);
  const missing = items.filter((i) => i.result === undefined);
  if (missing.length === 0) return judgeCallbackPath(reported, ctx);
  if (reported.length === 0) return unreportedPath(missing, unfinished);
  const judged = judgeCallbackPath(reported, ctx);
  // An ok path's own summary speaks for every planned probe: here only those that reported passed.
  const measured = judged.verdict === 'ok' ? `${reported.map((i) => describe(i.probe)).join(', ')} passed` : judged.summary;
  const notMeasured = `${missing.length} of ${items.length} probes not measured (${missing.map((i) => describe(i.probe)).join(', ')}): ${unfinished.why}`;
  return { ...judged, summary: `${measured}; ${notMeasured}${witnessNote(missing)}`, evidence: { ...judged.evidence, ...unfinishedFields(missing, unfinished.why) } };
}
