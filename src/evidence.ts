/**
 * What each verdict rests on, as the report carries it: one variant per path kind and verdict
 * family, told apart by `kind`. The classifier (controller/diagnose/) writes these; the remedies
 * and the renderers read them by narrowing on `kind`, so a renamed field is a type error, not a
 * silently missing fix. Field names are the JSON report's (version 1): add fields freely, rename none.
 */
import type { PathQualityEvidence, ThroughputEvidence } from './evidence-quality.js';
import type { ForwardNeeds, ForwardProbe } from './profiles.js';
import type { AgentFatal, Endpoint, HalfOpen, ProbeOutcome, ProbePhase } from './protocol.js';

export type { ControllerTcpView, PathQualityEvidence, QualityBreach, ThroughputEvidence } from './evidence-quality.js';

/** An error as the agent or a prober reported it. */
export interface ErrorEvidence {
  code?: string;
  message: string;
}

/** The controller's SYN_RECV sighting of a node on a listener port (controller/host/halfopen-sampler.ts). */
export interface ControllerSynSighting {
  /** The peer whose SYN arrived. */
  remote: string;
  /** The controller address and listener port it was sent to. */
  local: string;
  port: number;
  /** ms since the sampler started: first and last sample that held it. */
  firstAt: number;
  lastAt: number;
  /** Distinct peer ports (one per connection attempt). */
  connections: number;
}

/** What the listener saw of the connection the agent reported using. */
export type ListenerConnectionEvidence =
  | { accepted: false; agentLocal?: Endpoint }
  | { accepted: true; at: number; from: Endpoint; tls?: 'pending' | 'completed' | 'failed'; tlsError?: string };

/** An alternate-port hello (80/443) from the same source to the same controller address. */
export interface AlternateOutcome {
  proto: string;
  port: number;
  outcome: ProbeOutcome | 'missing';
}

/** What every probe's evidence starts with: which probe, and how the agent said it ended. */
export interface ProbeBasics {
  probe: string;
  outcome: ProbeOutcome | 'missing';
  phase?: ProbePhase;
  ms?: number;
  error?: ErrorEvidence;
}

/** One probe's failure, judged from its outcome, the listener's ledger and its connection record. */
export interface ProbeFailureFields extends ProbeBasics {
  /** status: the post (numbered like its request's seq) the outcome is about. */
  statusPost?: number;
  ledgerSawRequest: boolean;
  ledgerBytesWritten: number;
  ledgerCompleted: boolean;
  listenerConnection?: ListenerConnectionEvidence;
  controllerHalfOpen?: ControllerSynSighting;
  /** Where the transfer stopped, from the receiving side. */
  stallAt?: number;
  bytes?: number;
  throughputMbps?: number;
  firmwareBytes?: number;
  firmwareEstimateSec?: number;
  corrupt?: true;
  fingerprint?: string;
  httpStatus?: number;
  reply?: string;
  /** The agent said it cannot measure this (the verdict is not-measured). */
  unsupported?: true;
}

/** A probe whose result never came over SSH, as the listener's ledger saw its callback: the controller's own witness. */
export interface ListenerWitness {
  probe: string;
  /** ms since the run started. */
  at: number;
  /** The whole response was handed to the kernel (a hold: the switch to WebSocket). */
  completed: boolean;
  bytesWritten: number;
  bytesReceived: number;
}

/**
 * What a path of a node whose session ended early (SSH lost, the agent failed or timed out) could
 * not measure: the probes with no result, why, and which of them the listener saw all the same.
 */
export interface UnfinishedFields {
  notMeasured?: string[];
  notMeasuredWhy?: string;
  listenerSaw?: ListenerWitness[];
}

/** What a callback path's judgement adds to the probe it rests on. */
export interface CallbackPathFields extends UnfinishedFields {
  /** The largest download on the path that passed. */
  largestPassing?: number;
  /** How many of the path's probes failed. */
  failures?: number;
  /** Failing paths: how the alternate-port hellos from the same source fared. */
  alternates?: AlternateOutcome[];
}

/** A callback path's verdict from its worst probe (also a probe the agent reported nothing for). */
export interface ProbeEvidence extends ProbeFailureFields, CallbackPathFields {
  kind: 'probe';
}

/** The idle hold worked when opened, then stopped carrying traffic. */
export interface IdleCutEvidence extends CallbackPathFields {
  kind: 'idle-cut';
  probe: string;
  outcome: ProbeOutcome;
  idleMs: number;
  /** The listener's push reached the node. */
  push: boolean;
  /** The answer to the node's ping reached it. */
  pong: boolean;
  listenerGotPing: boolean;
  listenerPushSent: boolean;
}

/**
 * One side's bisection of the path MTU with ICMP echoes that may not be fragmented (DF set),
 * controller/host/path-mtu.ts. The echo's answer is the signal: on an MTU black hole the
 * "fragmentation needed" error is what gets dropped, so a too-large echo just goes unanswered.
 */
export interface PathMtuMeasurement {
  /** Which side sent the echoes. */
  from: 'controller' | 'node';
  /** Where they went. */
  to: string;
  measured: boolean;
  /** measured: the largest IP packet (headers included) whose echo was answered. */
  mtu?: number;
  /** The sending interface's MTU, the largest size tried: an answer at this size means the path has no smaller limit. */
  interfaceMtu?: number;
  /** The probes ran out before the bisection closed: the path MTU is at least `mtu` and below this. */
  below?: number;
  /** Not measured: why, in a sentence. */
  reason?: string;
  /** Every echo sent, in order: IP packet size and whether it was answered. */
  probes: { size: number; ok: boolean }[];
  /** The command that tries one size by hand (the payload is the packet size less the IP and ICMP headers). */
  command: string;
}

/**
 * A stalled transfer's second attempt (the agents retry the first stalled size of a path once, after
 * the probes still waiting): an outage stalls a size once, a size limit every time.
 */
export interface RetriedTransfer {
  probe: string;
  outcome: ProbeOutcome;
  /** Body bytes the second attempt got through (received for a download, sent for an upload). */
  bytes?: number;
}

/** Small answers pass and a larger transfer never finishes (mtu-blackhole). */
export interface SizeBoundaryEvidence extends UnfinishedFields {
  kind: 'size-boundary';
  /** The first transfer that got stuck. */
  probe: string;
  outcome: ProbeOutcome;
  stallAt: number;
  listenerBytesWritten: number;
  listenerBytesReceived: number;
  largestPassingDownload?: number;
  largestPassingUpload?: number;
  /** Mbit/s of the largest transfer that passed each way (toward the node: download), measured on this run. */
  passingMbps?: { download?: number; upload?: number };
  stuck: string[];
  /** The stuck transfers the agent tried once more, and how the second attempt ended. */
  retried?: RetriedTransfer[];
  /** The path MTU as measured on this run, one entry per side that tried; absent in reports written before it was. */
  pathMtu?: PathMtuMeasurement[];
  alternates?: AlternateOutcome[];
}

/**
 * Transfers stalled, but not because of their size: the path stopped carrying traffic for a while
 * and came back (path-outage). controller/diagnose/mtu.ts tells it from a size limit.
 */
export interface OutageEvidence {
  kind: 'outage';
  /** The first transfer that got stuck. */
  probe: string;
  outcome: ProbeOutcome;
  stallAt: number;
  stuck: string[];
  /** Why the size is ruled out, one sentence each. */
  notSize: string[];
  /** The path's probes that passed after the first stall, in the order they finished (and any stuck one that passed when retried). */
  passedAfter: string[];
  /** The stuck transfers the agent tried once more, and how the second attempt ended. */
  retried?: RetriedTransfer[];
  pathMtu?: PathMtuMeasurement[];
  alternates?: AlternateOutcome[];
}

/** The controller saw another source address than the node sends from. */
export interface SourceMismatchEvidence extends UnfinishedFields {
  kind: 'source-mismatch';
  seen: Endpoint;
  nodeSource: string;
  alternates?: AlternateOutcome[];
}

/** Every probe passed (ok, or slow below the threshold): what was measured. */
export interface MeasuredEvidence extends Partial<ThroughputEvidence>, UnfinishedFields {
  kind: 'measured';
  seen?: Endpoint;
  nodeSource?: string;
  largestPassing?: number;
  statusMs?: number[];
  idleHoldMs?: number;
  alternates?: AlternateOutcome[];
  /** RTT, loss and throughput both ways; absent in reports written before it was measured. */
  quality?: PathQualityEvidence;
}

/** No agent results for the path: the run was interrupted first, SSH or the agent failed, or the run chose not to test it. */
export interface NotRunEvidence extends UnfinishedFields {
  kind: 'not-run';
  /** Not tested by choice: `--callbacks off` left out a callback the update manager does not need. */
  byChoice?: 'callbacks-off';
}

/** A callback over HTTP or HTTPS. */
export type CallbackEvidence = ProbeEvidence | IdleCutEvidence | SizeBoundaryEvidence | OutageEvidence | SourceMismatchEvidence | MeasuredEvidence | NotRunEvidence;

/** The FTP dialogue as both sides saw it; a failed step adds its probe judgement's fields. */
export interface FtpFields extends ProbeBasics, Partial<Omit<ProbeFailureFields, keyof ProbeBasics>> {
  controlOk?: boolean;
  loginOk?: boolean;
  pasvPort?: number;
  dataConnected?: boolean;
  reply?: string;
  controlPort: number;
  /** The passive range offered, "first-last" (or one port). */
  dataPorts: string;
  ledgerSawLogin: boolean;
  listenerPasvPort?: number;
  listenerDataPeer?: Endpoint;
  ledgerBytesWritten: number;
}

/** The FTP control connection (banner, login, the 226 after the file). */
export interface FtpControlEvidence extends FtpFields {
  kind: 'ftp-control';
}

/** The passive data connection. */
export interface FtpDataEvidence extends FtpFields {
  kind: 'ftp-data';
}

/** What an answering service said about itself (controller/probers/). */
export interface ServiceDetails {
  http?: { status: number; server: string | null; location: string | null; bodyCut?: true };
  tls?: TlsDetails;
  netbios?: { names: { name: string; suffix: number; group: boolean }[] };
}

export interface TlsDetails {
  protocol: string | null;
  cipher: string;
  alpn?: string;
  certificate: {
    /** The certificate's CN (a list when it has several). */
    subject: string | string[] | null;
    issuer: string | string[] | null;
    subjectAltName: string | null;
    validFrom: string;
    validTo: string;
    expired: boolean;
    daysLeft: number;
    selfSigned: boolean;
    fingerprint256: string;
  } | null;
}

/** A forward probe from the controller to a node's port. */
export interface ForwardPathEvidence extends ServiceDetails {
  kind: 'forward';
  purpose: string;
  /** What the update manager needs on the port (src/profiles.ts); absent in reports written before it was recorded. */
  needs?: ForwardNeeds;
  probe: ForwardProbe;
  /** The prober's outcome (controller/probers/types.ts): open, refused, timeout, ... */
  outcome: string;
  ms: number;
  error?: ErrorEvidence;
  /** A timeout while the node's kernel held the controller's SYN half-open. */
  nodeHalfOpen?: HalfOpen;
  /** For a reset: the node's own listeners on the port (that address or a wildcard), or why they were not measured. */
  nodeListening?: { measured: boolean; reason?: string; on: Endpoint[] };
  /** An ICMP unreachable for a port of an address that answered other ports: a firewall's reject. */
  icmpReject?: boolean;
}

/**
 * A BMC's callback, tested by asking it to mount virtual media from the listener over Redfish
 * (controller/probers/redfish.ts): what the BMC said and what the listener saw.
 */
export interface RedfishEvidence {
  kind: 'redfish';
  /** The BMC's Redfish endpoint. */
  bmc: Endpoint;
  /** How the BMC's certificate was trusted (pinned, CA file, or first use recorded). */
  trust: string;
  /** The virtual-media slot used, the image URL asked for, and the insert's HTTP status. */
  slot?: string;
  image?: string;
  insertStatus?: number;
  /** The BMC's own words: its `@Message.ExtendedInfo` messages ("MessageId: Message"), or the error that stopped the test. */
  bmcMessages: string[];
  /** The slot as the BMC reported it after the wait. */
  inserted?: boolean;
  connectedVia?: string;
  ledgerSawRequest: boolean;
  /** The source the listener saw on the BMC's request. */
  seen?: Endpoint;
  /** https: the BMC's TLS handshake with the listener failed, and how. */
  tlsError?: string;
  /** Whether the media inserted was ejected again (absent: nothing was inserted). */
  ejected?: boolean;
  /** Why no insert was made (login failed, every slot busy, ...). */
  skipped?: string;
  /** The run stopped while this insert's request was awaited: not measured, the media ejected. */
  interrupted?: boolean;
}

/**
 * Evidence from a report written before evidence carried a kind (src/report-file.ts): kept as it
 * was, to show, never to decide on.
 */
export interface LegacyEvidence {
  kind: 'legacy';
  readonly [field: string]: unknown;
}

export type PathEvidence = CallbackEvidence | FtpControlEvidence | FtpDataEvidence | ForwardPathEvidence | RedfishEvidence | LegacyEvidence;

/** Why SSH or the agent failed on a node. */
export interface SessionFailureEvidence {
  kind: 'session';
  exitCode: number | null;
  /** The last lines of the session's stderr. */
  stderr: string;
  /** Always written now; absent only in reports from before evidence carried a kind. */
  timedOut?: boolean;
  invalidOutput?: string;
  fatal?: AgentFatal;
  runtimeProblem?: string;
  flavour?: string;
  /** ssh-session-lost: where the session broke. */
  lost?: SessionBreak;
}

/** Where an SSH session broke, from what had arrived over it (src/session-break.ts words it). */
export interface SessionBreak {
  /** Probe results that arrived, of those planned. */
  results: number;
  planned: number;
  /** The last line the agent's output gave, in short ("probe dl-http-0-1024: ok"), and when it arrived (ms into the session). */
  lastLine?: string;
  lastLineMs?: number;
  /** When ssh gave up on the session (ms into it). */
  endedMs: number;
}

export type NodeFailureEvidence = SessionFailureEvidence | LegacyEvidence;

/** Every kind, once: a report read back may carry only these (src/report-file.ts). */
const PATH_EVIDENCE_KIND: Record<PathEvidence['kind'], true> = {
  probe: true,
  'idle-cut': true,
  'size-boundary': true,
  outage: true,
  'source-mismatch': true,
  measured: true,
  'not-run': true,
  'ftp-control': true,
  'ftp-data': true,
  forward: true,
  redfish: true,
  legacy: true,
};
export const PATH_EVIDENCE_KINDS = Object.keys(PATH_EVIDENCE_KIND) as readonly PathEvidence['kind'][];
