/**
 * Path quality as the report carries it (src/evidence.ts re-exports these): throughput, the
 * controller's own TCP view of a path and the figures judged against --max-rtt, --max-loss and
 * --min-mbps (controller/diagnose/quality.ts).
 */
/** Measured throughput, and the time the firmware bundle would take at it. */
export interface ThroughputEvidence {
  throughputMbps: number;
  firmwareBytes: number;
  firmwareEstimateSec: number;
}

/** The controller's own TCP_INFO of a path's connections, sampled with `ss -tin` (controller/host/tcp-info-sampler.ts). */
export interface ControllerTcpView {
  /** Connections of the path the sampler saw (short ones may open and close between samples). */
  connections: number;
  /** The smallest round trip any of them saw (the path without queueing), ms. */
  minRttMs?: number;
  /** Median of their smoothed round trips (queueing included), ms. */
  rttMs?: number;
  /** Data segments the controller sent toward the node, and how many of them it retransmitted. */
  dataSegsOut: number;
  retransSegs: number;
  bytesAcked: number;
  bytesReceived: number;
}

/** A measured figure past its threshold (the flag that sets it: --max-rtt, --max-loss, --min-mbps). */
export interface QualityBreach {
  measure: 'rtt' | 'loss' | 'download' | 'upload';
  value: number;
  limit: number;
}

/**
 * A callback path's quality, measured per direction from this run's evidence (controller/diagnose/quality.ts).
 * Every figure is optional: what could not be measured is absent and named in notMeasured.
 */
export interface PathQualityEvidence {
  /** The agent's TCP connect times on the path (one handshake round trip each), ms. */
  handshakeRttMs?: { min: number; median: number; samples: number };
  /** The controller's side of the same connections. */
  controllerTcp?: ControllerTcpView;
  /** The round trip the path is judged on: the smaller of the handshake and the controller's minimum, ms. */
  rttMs?: number;
  /** Status posts: the median time of one (a fresh connection, the request, the answer), ms. */
  statusPostMs?: number;
  /** Throughput toward the node (the largest download that passed) and toward the controller (the largest upload). */
  downloadMbps?: number;
  uploadMbps?: number;
  /** The controller's retransmissions toward the node, percent of its data segments (enough of them to judge). */
  lossPct?: number;
  /**
   * The node's TCP retransmissions over the whole agent run, percent of every segment it sent: a
   * whole-host figure (all its connections, ACKs included), reported but not judged.
   */
  nodeHostRetrans?: { outSegs: number; retransSegs: number; pct: number };
  /** What could not be measured on this path, and why. */
  notMeasured?: string[];
  /** Figures past their thresholds; empty: none (the path is not slow). */
  pastThresholds: QualityBreach[];
  /** How long the status updates of a long flash (statusPostsEstimated posts) take at this round trip, s. */
  statusEstimateSec?: number;
  statusPostsEstimated?: number;
}
