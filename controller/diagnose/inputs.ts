/**
 * What diagnosis reads: one node's evidence as the run gathered it (SSH session, agent events,
 * listener ledger, forward probes, half-open samples), and the run's thresholds. Flat data, so every
 * rule can be tested from a table.
 */
import type { PathMtuMeasurement } from '../../src/evidence.js';
import type { AgentEvent, PlannedProbe } from '../../src/protocol.js';
import type { PathReport } from '../../src/report.js';
import type { CallbackKind, ForwardNeeds, ForwardProbe } from '../../src/profiles.js';
import type { NodeKind } from '../../src/verdicts.js';
import type { HalfOpenView } from '../host/halfopen-sampler.js';
import type { TcpInfoView } from '../host/tcp-info-sampler.js';
import type { ForwardResult } from '../probers/types.js';
import type { ConnectionView, LedgerRequest } from '../wire/ledger.js';

/** What SSH gave back; the shape of SshSession without the process details. */
export interface SessionEvidence {
  exitCode: number | null;
  stderr: string;
  timedOut: boolean;
  interrupted: boolean;
  invalidOutput?: string;
  ms: number;
  /** Bytes the remote command wrote to stdout (the runtime list first): any means SSH was up. */
  stdoutBytes?: number;
  /** The agent flavour sent and its size as sent. */
  agent?: { flavour: string; scriptBytes: number };
  /** The runtime detection ran but no flavour was sent (a forced runtime the node lacks). */
  runtimeProblem?: string;
  /** When the last agent event arrived (ms into the session). */
  lastEventMs?: number;
}

/** A session with its node-level verdict, judged once (controller/diagnose/session.ts judgeSession). */
export interface JudgedSession extends SessionEvidence {
  /** Undefined when SSH and the agent both did their part. */
  verdict: NodeKind | undefined;
}

export interface ForwardEvidence {
  address: string;
  port: number;
  probe: ForwardProbe;
  purpose: string;
  needs: ForwardNeeds;
  result: ForwardResult;
}

export interface NodeEvidence {
  name: string;
  addresses: string[];
  profile: string;
  callbackAddresses: string[];
  probes: PlannedProbe[];
  /** Undefined when the node never got its turn (run interrupted first). */
  session?: JudgedSession;
  events: AgentEvent[];
  ledger: LedgerRequest[];
  /** The listener's TCP connections from the local endpoints the agent reported (Ledger.connectionsFor). */
  connections?: ConnectionView;
  forward: ForwardEvidence[];
  /** The node address SSH reached, when it is not the first (a dual-homed node's fallback). */
  sshAddress?: string;
  /** No agent by design (the profile is agentless): only forward paths, and no SSH verdict. */
  agentless?: boolean;
  /** Wall time of the node's test when there was no SSH session to time it. */
  ms?: number;
  /** The controller's SYN_RECV samples on its listener ports (all peers; diagnosis picks this node's). */
  controllerHalfOpen?: HalfOpenView;
  /** The path MTU toward each node address, measured when a transfer stalled (controller/host/path-mtu.ts). */
  pathMtu?: PathMtuMeasurement[];
  /** The controller's TCP_INFO samples of its callback connections (all peers; diagnosis picks each path's). */
  controllerTcp?: TcpInfoView;
  /** A BMC's callbacks tested over Redfish (controller/run/redfish-node.ts), already judged. */
  redfishPaths?: PathReport[];
  /** Callback kinds the run's update manager does not need from this node, each with why (src/managers.ts unneededReason). */
  unneededCallbacks?: Partial<Record<CallbackKind, string>>;
  /** The update manager that judged the node, when not the run's (its inventory's `manager:`). */
  manager?: string;
  /** Callbacks not tested by choice (`--callbacks off`): reported per controller address as information. */
  notTested?: NotTestedCallback[];
}

/** A callback the run chose not to test: its kind, the port it would have gone to, and why the manager does not need it. */
export interface NotTestedCallback {
  proto: CallbackKind;
  port: number;
  why: string;
}

export interface Thresholds {
  /** Below this, a completed large download (toward the node: firmware) is 'slow'. */
  minMbps: number;
  /**
   * Below this, a completed large upload (toward the controller: status and logs, not firmware) is
   * 'slow'. Lower than minMbps: an upload's time includes the controller's checking of it.
   */
  minUploadMbps: number;
  /** Only downloads at least this large are used to judge throughput. */
  minBytesForThroughput: number;
  /** The firmware bundle whose transfer time is estimated from the measured throughput. */
  firmwareBytes: number;
  /** Above this round trip (ms) a path is 'slow': every status post and every transfer's start pays it. */
  maxRttMs: number;
  /** Above this share of retransmitted segments (percent) a path is 'slow'. */
  maxLossPct: number;
  /** Loss is judged only over at least this many data segments (fewer say too little either way). */
  minSegmentsForLoss: number;
}

export const DEFAULT_FIRMWARE_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_THRESHOLDS: Thresholds = {
  minMbps: 10,
  minUploadMbps: 1,
  minBytesForThroughput: 256 * 1024,
  firmwareBytes: DEFAULT_FIRMWARE_BYTES,
  maxRttMs: 250,
  maxLossPct: 1,
  minSegmentsForLoss: 1000,
};
