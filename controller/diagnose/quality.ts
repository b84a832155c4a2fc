/**
 * A callback path's quality, measured per direction from this run's evidence: the round trip (the
 * agent's TCP connect times, and the controller's TCP_INFO of the same connections), the status
 * posts' round trip, throughput toward the node (downloads) and toward the controller (uploads)
 * apart, and loss (the controller's retransmissions; the node's whole-host counters as information).
 * A path is slow when a figure is past its absolute threshold (--max-rtt, --max-loss, --min-mbps):
 * never for being slower than its neighbours. Pure.
 */
import type { ControllerTcpView, PathQualityEvidence, QualityBreach } from '../../src/evidence.js';
import type { AgentDone, HostTcpCounters, PlannedProbe } from '../../src/protocol.js';
import { sizeLabel } from '../../src/size-label.js';
import type { NodeEvidence, Thresholds } from './inputs.js';
import type { ObservedProbe } from './probe.js';
import { durationLabel, throughput } from './wording.js';

/** The status updates of a long flash, for the estimate of what a round trip costs them. */
export const STATUS_POSTS_ESTIMATED = 100;

/** What quality is judged from besides the path's own probes. */
export interface QualityContext {
  thresholds: Thresholds;
  /** The controller's TCP_INFO for the path; undefined: none of its connections was sampled. */
  controllerTcp: ControllerTcpView | undefined;
  /** Whether the controller could sample at all (ss ran). */
  controllerSampled: boolean;
  /** The node's whole-host TCP counters over the agent's run; undefined: the agent cannot read them. */
  nodeHostTcp: HostTcpCounters | undefined;
}

export interface QualityJudgement {
  quality: PathQualityEvidence;
  /** One clause per figure past its threshold, worded for the summary; empty: not slow. */
  reasons: string[];
  /** What the figures mean for the firmware bundle and the status updates. */
  consequences: string[];
}

/**
 * A path's share of the node's evidence: the controller's connections from the path's source (or,
 * when the node's kernel picked it, from any of the node's addresses) to the path's listener port,
 * and the node's counters from the agent's 'done'.
 */
export function qualityContextFor(n: NodeEvidence, probe: PlannedProbe, source: string | undefined): Omit<QualityContext, 'thresholds'> {
  const view = n.controllerTcp;
  const controllerTcp = (source === undefined ? n.addresses : [source]).map((a) => view?.forPath(a, probe.port)).find((v) => v !== undefined);
  const done = n.events.find((e): e is AgentDone => e.t === 'done');
  return { controllerTcp, controllerSampled: view?.measured === true, nodeHostTcp: done?.hostTcp };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The largest transfer of a kind that passed and is large enough to measure a rate on. */
function largestPassed(items: readonly ObservedProbe[], kind: 'download' | 'upload', t: Thresholds): { size: number; ms: number } | undefined {
  return items
    .filter((i) => i.probe.kind === kind && i.result?.outcome === 'ok' && (i.probe.size ?? 0) >= t.minBytesForThroughput)
    .map((i) => ({ size: i.probe.size ?? 0, ms: i.result?.ms ?? 0 }))
    .sort((a, b) => a.size - b.size)
    .at(-1);
}

export function judgeQuality(items: readonly ObservedProbe[], ctx: QualityContext): QualityJudgement {
  const t = ctx.thresholds;
  const quality: PathQualityEvidence = { pastThresholds: [] };
  const notMeasured: string[] = [];
  const breaches: QualityBreach[] = [];
  const reasons: string[] = [];
  const consequences: string[] = [];

  const connects = items.flatMap((i) => (i.result?.connectMs === undefined ? [] : [i.result.connectMs]));
  if (connects.length > 0) quality.handshakeRttMs = { min: round1(Math.min(...connects)), median: round1(median(connects)), samples: connects.length };
  else notMeasured.push('handshake round trip: this agent does not time its connects');

  const tcp = ctx.controllerTcp;
  if (tcp !== undefined) quality.controllerTcp = tcp;
  else notMeasured.push(ctx.controllerSampled ? "controller's TCP_INFO: none of the path's connections was sampled" : "controller's TCP_INFO: ss could not be run");

  // The path's round trip: its floor, seen from either side (a queue behind a transfer only adds to it).
  const rtts = [quality.handshakeRttMs?.min, tcp?.minRttMs].filter((x): x is number => x !== undefined);
  if (rtts.length > 0) {
    const rtt = Math.min(...rtts);
    quality.rttMs = rtt;
    if (rtt > t.maxRttMs) {
      breaches.push({ measure: 'rtt', value: rtt, limit: t.maxRttMs });
      reasons.push(`round trip ${rtt} ms (above ${t.maxRttMs})`);
    }
  }

  const posts = items.flatMap((i) => (i.probe.kind === 'status' ? (i.result?.posts ?? []).filter((p) => p.ok).map((p) => p.ms) : []));
  if (posts.length > 0) {
    const each = median(posts);
    quality.statusPostMs = round1(each);
    quality.statusPostsEstimated = STATUS_POSTS_ESTIMATED;
    quality.statusEstimateSec = Math.round((each * STATUS_POSTS_ESTIMATED) / 100) / 10;
  }

  const down = largestPassed(items, 'download', t);
  if (down !== undefined) {
    const { rate, text } = throughput(down.size, down.ms, t);
    quality.downloadMbps = rate.throughputMbps;
    if (rate.throughputMbps < t.minMbps) {
      breaches.push({ measure: 'download', value: rate.throughputMbps, limit: t.minMbps });
      reasons.push(`${sizeLabel(down.size)} took ${down.ms} ms (${rate.throughputMbps} Mbit/s, below ${t.minMbps})`);
    }
    consequences.push(text);
  } else notMeasured.push(`throughput toward the node: no download of ${sizeLabel(t.minBytesForThroughput)} or more passed on this path`);

  const up = largestPassed(items, 'upload', t);
  if (up !== undefined) {
    const rate = throughput(up.size, up.ms, t).rate.throughputMbps;
    quality.uploadMbps = rate;
    if (rate < t.minMbps) {
      breaches.push({ measure: 'upload', value: rate, limit: t.minMbps });
      reasons.push(`upload of ${sizeLabel(up.size)} took ${up.ms} ms (${rate} Mbit/s toward the controller, below ${t.minMbps})`);
    }
  } else notMeasured.push(`throughput toward the controller: no upload of ${sizeLabel(t.minBytesForThroughput)} or more passed on this path`);

  if (tcp !== undefined && tcp.dataSegsOut >= t.minSegmentsForLoss) {
    const loss = round1((100 * tcp.retransSegs) / tcp.dataSegsOut);
    quality.lossPct = loss;
    if (loss > t.maxLossPct) {
      breaches.push({ measure: 'loss', value: loss, limit: t.maxLossPct });
      reasons.push(`the controller retransmitted ${tcp.retransSegs} of ${tcp.dataSegsOut} segments toward the node (${loss} %, above ${t.maxLossPct} %)`);
    }
  } else if (tcp !== undefined) notMeasured.push(`loss: the controller sent ${tcp.dataSegsOut} data segments on this path, fewer than the ${t.minSegmentsForLoss} it is judged on`);

  const host = ctx.nodeHostTcp;
  if (host !== undefined && host.outSegs > 0) quality.nodeHostRetrans = { ...host, pct: round1((100 * host.retransSegs) / host.outSegs) };
  else notMeasured.push("node's retransmissions: this agent does not read the node's TCP counters");

  if (quality.statusEstimateSec !== undefined && (breaches.length > 0 || quality.statusEstimateSec >= 60)) {
    consequences.push(`${STATUS_POSTS_ESTIMATED} status posts take about ${durationLabel(quality.statusEstimateSec)} (${quality.statusPostMs} ms each)`);
  }
  if (notMeasured.length > 0) quality.notMeasured = notMeasured;
  quality.pastThresholds = breaches;
  return { quality, reasons, consequences };
}
