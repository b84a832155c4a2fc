/**
 * Callback paths: one per (controller address, protocol, port, source), judged from that path's
 * probes together. A size boundary (small answers pass, a larger transfer never finishes), or an
 * outage that stalled transfers (controller/diagnose/mtu.ts tells them apart), wins;
 * else the worst single probe; else what passed: the source the controller saw, the throughput,
 * status and idle-hold timings. Pure.
 */
import type { AlternateOutcome, CallbackEvidence, IdleCutEvidence, MeasuredEvidence, OutageEvidence, ProbeEvidence, SizeBoundaryEvidence } from '../../src/evidence.js';
import type { PlannedProbe } from '../../src/protocol.js';
import { isStuck } from '../../src/protocol.js';
import { sizeLabel } from '../../src/size-label.js';
import { worse } from '../../src/verdicts.js';
import { judgeHold, judgeProbe, stallOffset, sum, type ObservedProbe, type PathContext, type PathJudgement } from './probe.js';
import { judgeStallCause, pathMtuClause, type StallWitness } from './mtu.js';
import { judgeQuality } from './quality.js';
import { describe, throughput } from './wording.js';

const isTransfer = (i: ObservedProbe): boolean => i.probe.kind === 'download' || i.probe.kind === 'upload';

/** The path's probes as the stall judgement reads them (controller/diagnose/mtu.ts). */
function stallWitnesses(items: readonly ObservedProbe[]): StallWitness[] {
  return items.map((i) => ({
    id: i.probe.id,
    kind: i.probe.kind === 'download' || i.probe.kind === 'upload' ? i.probe.kind : 'other',
    ...(i.probe.size === undefined ? {} : { size: i.probe.size }),
    passed: i.result?.outcome === 'ok',
    stuck: isTransfer(i) && isStuck(i.result),
    // Only a body that was arriving says how far it got; no-response never got an answer's start.
    ...(isTransfer(i) && i.result?.outcome === 'stalled' && isStuck(i.result) ? { stallAt: stallOffset(i) } : {}),
    ...(i.finished === undefined ? {} : { finished: i.finished }),
    ...(i.retry === undefined ? {} : { retry: i.retry.outcome === 'ok' ? 'passed' : isStuck(i.retry) ? 'stuck' : 'failed' }),
  }));
}

/**
 * Small answers pass and a larger transfer never finishes: the size decides, not the path; unless
 * the stall shows the path itself stopped for a while (an outage). Undefined: no such stall, or
 * nothing tells the two apart (the single probes' verdicts stand).
 */
function judgeSizeBoundary(items: ObservedProbe[], ctx: PathContext): PathJudgement<SizeBoundaryEvidence | OutageEvidence> | undefined {
  const transfers = items.filter(isTransfer).sort((a, b) => (a.probe.size ?? 0) - (b.probe.size ?? 0));
  const smallPassed = items.some((i) => (i.probe.kind === 'hello' || isTransfer(i)) && i.result?.outcome === 'ok');
  const stuck = transfers.filter((t) => isStuck(t.result));
  const first = stuck[0];
  if (!smallPassed || first?.result === undefined) return undefined;
  const pathMtu = ctx.pathMtu ?? [];
  const cause = judgeStallCause(stallWitnesses(items), pathMtu);
  if (cause.cause === 'undecided') return undefined;
  const at = stallOffset(first);
  const measured = pathMtu.length === 0 ? {} : { pathMtu: [...pathMtu] };
  const retried = stuck.flatMap((t) => (t.retry === undefined ? [] : [{ probe: t.probe.id, outcome: t.retry.outcome, ...(t.retry.bytes === undefined ? {} : { bytes: t.retry.bytes }) }]));
  const retriedFields = retried.length === 0 ? {} : { retried };
  const retriedClause = retried.map((r) => `; ${r.probe} retried once: ${r.outcome === 'ok' ? 'passed' : `${r.outcome} again (${r.bytes ?? 0} bytes)`}`).join('');
  if (cause.cause === 'outage') {
    return {
      verdict: cause.recovered ? 'path-outage' : 'stalled',
      summary:
        `${describe(first.probe)} stalled at byte ${at}, but not for its size: ${cause.notSize.join('; ')}; ` +
        (cause.recovered ? `the path carried traffic again after it (${cause.passedAfter.length} probe${cause.passedAfter.length === 1 ? '' : 's'} passed later): a transient outage` : 'nothing passed after it: the path went down'),
      evidence: { kind: 'outage', probe: first.probe.id, outcome: first.result.outcome, stallAt: at, stuck: stuck.map((t) => t.probe.id), notSize: cause.notSize, passedAfter: cause.passedAfter, ...retriedFields, ...measured },
    };
  }
  const largestPassed = (kind: 'download' | 'upload') => transfers.filter((t) => t.probe.kind === kind && t.result?.outcome === 'ok').at(-1);
  const passing = { download: largestPassed('download')?.probe.size, upload: largestPassed('upload')?.probe.size };
  // Its rate as the agent timed it (connect to last byte): small transfers understate a path, so the size goes beside it.
  const rateOf = (kind: 'download' | 'upload'): number | undefined => {
    const t = largestPassed(kind);
    return t?.probe.size === undefined || t.result === undefined || t.result.ms <= 0 ? undefined : Math.round((t.probe.size * 8) / t.result.ms / 100) / 10;
  };
  const passingMbps = { download: rateOf('download'), upload: rateOf('upload') };
  const counterpart =
    first.probe.kind === 'download' ? `the listener had sent ${sum(first.ledger, 'bytesWritten')}` : `the agent had sent ${first.result.bytes ?? 0}, the listener received ${at}`;
  const limit = passing[first.probe.kind === 'download' ? 'download' : 'upload'];
  // Every transfer the other way passed: only one direction loses its full-size packets.
  const otherKind = first.probe.kind === 'download' ? 'upload' : 'download';
  const other = transfers.filter((t) => t.probe.kind === otherKind);
  const otherWayClear = other.length > 0 && other.every((t) => t.result?.outcome === 'ok');
  return {
    verdict: 'mtu-blackhole',
    summary:
      `${describe(first.probe)} stalled at byte ${at} (${counterpart}); ` +
      (limit === undefined ? 'only the small hello/status answers pass' : `up to ${sizeLabel(limit)} passes`) +
      (stuck.length > 1 ? `; ${stuck.length} transfers stuck in all` : '') +
      (otherWayClear ? `; every ${otherKind} passed, so only the direction ${otherKind === 'upload' ? 'toward the node' : 'toward the controller'} is affected` : '') +
      retriedClause +
      `; ${pathMtuClause(pathMtu)}`,
    evidence: {
      kind: 'size-boundary',
      probe: first.probe.id,
      outcome: first.result.outcome,
      stallAt: at,
      listenerBytesWritten: sum(first.ledger, 'bytesWritten'),
      listenerBytesReceived: sum(first.ledger, 'bytesReceived'),
      largestPassingDownload: passing.download,
      largestPassingUpload: passing.upload,
      ...(passingMbps.download === undefined && passingMbps.upload === undefined ? {} : { passingMbps }),
      stuck: stuck.map((t) => t.probe.id),
      ...retriedFields,
      ...measured,
    },
  };
}

/** Plan order, except holds last: a path's first failure should be its hello's, not the hold's. */
const KIND_ORDER: Record<PlannedProbe['kind'], number> = { hello: 0, download: 1, upload: 2, status: 3, hold: 4, ftp: 5 };

type ProbeJudgement = PathJudgement<ProbeEvidence> | PathJudgement<IdleCutEvidence>;

/** The path's worst failing probe, with what the path adds to it; undefined when none failed. */
function worstFailure(ordered: ObservedProbe[], ctx: PathContext, largestPassing: number | undefined): PathJudgement<CallbackEvidence> | undefined {
  const failures = ordered.map((i) => judgeHold(i) ?? judgeProbe(i, ctx)).filter((j): j is ProbeJudgement => j !== undefined);
  const first = failures.reduce<ProbeJudgement | undefined>((acc, j) => (acc === undefined || worse(acc.verdict, j.verdict) !== acc.verdict ? j : acc), undefined);
  if (first === undefined) return undefined;
  const onlyUnmeasurable = first.verdict === 'not-measured' && failures.every((f) => f.evidence.kind === 'probe' && f.evidence.unsupported === true);
  const summary =
    largestPassing !== undefined && first.verdict === 'truncated'
      ? `${first.summary}; up to ${sizeLabel(largestPassing)} passes`
      : onlyUnmeasurable
        ? `everything this agent can measure passed; ${first.summary}`
        : first.summary;
  return { verdict: first.verdict, summary, evidence: { ...first.evidence, largestPassing, failures: failures.length } };
}

export function judgeCallbackPath(items: ObservedProbe[], ctx: PathContext): PathJudgement<CallbackEvidence> {
  const ordered = [...items].sort((a, b) => KIND_ORDER[a.probe.kind] - KIND_ORDER[b.probe.kind]);
  const boundary = judgeSizeBoundary(ordered, ctx);
  if (boundary !== undefined) return boundary;

  const downloads = ordered.filter((i) => i.probe.kind === 'download');
  const largestPassing = downloads.filter((d) => d.result?.outcome === 'ok').at(-1)?.probe.size;
  const failure = worstFailure(ordered, ctx, largestPassing);
  if (failure !== undefined) return failure;

  const hello = ordered.find((i) => i.probe.kind === 'hello');
  const seen = hello?.result?.seen;
  const source = hello?.probe.source ?? ctx.facts?.routes.find((r) => r.to === hello?.probe.address)?.source;
  if (seen !== undefined && source !== undefined && seen.address !== source) {
    return {
      verdict: 'source-mismatch',
      summary: `the controller saw ${seen.address}, the node sends from ${source}`,
      evidence: { kind: 'source-mismatch', seen, nodeSource: source },
    };
  }

  const best = downloads
    .filter((d) => d.result?.outcome === 'ok' && (d.probe.size ?? 0) >= ctx.thresholds.minBytesForThroughput)
    .map((d) => ({ size: d.probe.size ?? 0, ms: d.result?.ms ?? 0 }))
    .at(-1);
  const evidence: MeasuredEvidence = { kind: 'measured', seen, nodeSource: source, largestPassing };
  if (best !== undefined) Object.assign(evidence, throughput(best.size, best.ms, ctx.thresholds).rate);
  const status = ordered.find((i) => i.probe.kind === 'status')?.result?.posts;
  if (status !== undefined) evidence.statusMs = status.map((p) => p.ms);
  const hold = ordered.find((i) => i.probe.kind === 'hold')?.result?.hold;
  if (hold !== undefined) evidence.idleHoldMs = hold.idleMs;
  const judged = judgeQuality(ordered, { thresholds: ctx.thresholds, controllerTcp: undefined, controllerSampled: false, nodeHostTcp: undefined, ...ctx.quality });
  evidence.quality = judged.quality;
  if (judged.reasons.length > 0) return { verdict: 'slow', summary: [...judged.reasons, ...judged.consequences].join('; '), evidence };
  return { verdict: 'ok', summary: `hello, transfers, status${hold === undefined ? '' : ' and idle hold'} all passed`, evidence };
}

/** The alternate-port hellos from one source to one controller address, as evidence for its failing paths. */
export function alternatesFor(items: readonly ObservedProbe[]): AlternateOutcome[] {
  return items.map((i) => ({ proto: i.probe.proto, port: i.probe.port, outcome: i.result?.outcome ?? 'missing' }));
}
