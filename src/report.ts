/**
 * The result model every renderer reads. The JSON report is this, serialised: a public, versioned
 * interface. Add fields freely; renaming or removing one is a new REPORT_VERSION.
 */
import type { NodeFailureEvidence, PathEvidence } from './evidence.js';
import type { Shard } from './shard.js';
import { VERDICTS, VERDICT_KINDS, isFailure, type NodeKind, type PathKind, type VerdictClass, type VerdictKind } from './verdicts.js';

export const REPORT_VERSION = 1;

export type PathDirection = 'callback' | 'forward';

export const PATH_PROTOS = ['http', 'https', 'tcp', 'udp', 'ftp', 'ftp-data'] as const;
export type PathProto = (typeof PATH_PROTOS)[number];

export interface PathReport {
  direction: PathDirection;
  /** callback: the node's source address (or the node's name when unknown); forward: the controller. */
  from: string;
  /** callback: the controller address; forward: the node address. */
  to: string;
  /** ftp-data: the passive port the data connection went to (or would have: the range's first). */
  port: number;
  /** callback: the listener's protocol (ftp: the FTP control connection, ftp-data: its passive data connection); forward: how the port was probed (tcp connect, http(s) request, udp name query). */
  proto: PathProto;
  verdict: PathKind;
  /** One sentence on what was seen, for the terminal and the diagnoses list. */
  summary: string;
  /** What the verdict rests on; `kind` says which variant (src/evidence.ts). */
  evidence: PathEvidence;
  /**
   * Set on a callback the run's update manager does not need from this node (src/managers.ts): it
   * was measured and is reported, but a failure here is information, not a fault. Says why.
   */
  notNeeded?: string;
}

/** A pasteable fix: what it is for, and the lines to run or put in a file. */
export interface Remedy {
  title: string;
  /** Where the lines go, e.g. "on the node", "/etc/vmware/firewall/twoway.xml", "hpsum.ini". */
  where: string;
  lines: string[];
}

/** For a node with several addresses: which controller addresses each one can call back to. */
export interface NicReach {
  address: string;
  iface?: string;
  /** Controller addresses every callback from this address reached. */
  reaches: string[];
  /** Controller addresses at least one callback from this address failed to reach. */
  fails: string[];
}

/** A conclusion about several nodes at once: the cause is shared, so it is told once. */
export interface FleetFinding {
  scope: 'controller' | 'subnet';
  /** controller: the listener address; subnet: the subnet (CIDR). */
  where: string;
  /** The controller address the callbacks went to. */
  to: string;
  port: number;
  proto: 'http' | 'https';
  verdict: PathKind;
  nodes: string[];
  summary: string;
  remedies: Remedy[];
}

export interface NodeReport {
  name: string;
  addresses: string[];
  profile: string;
  /** The node's worst verdict: its node-level kind when SSH or the agent failed, else its worst path. */
  verdict: VerdictKind;
  /** Set when SSH or the agent failed. */
  nodeVerdict?: NodeKind;
  /** What the node-level failure rests on. */
  nodeEvidence?: NodeFailureEvidence;
  /** The agent that ran: its hello, and its size as sent (script and embedded plan). */
  agent?: { flavour: string; version: string; runtime: string; platform: string; scriptBytes?: number };
  /** The update manager that judged this node, when not the run's (the inventory's `manager:`, or another run's in a merge). */
  manager?: string;
  /** The profile runs no agent (iLO, OA, VC, switches): only forward paths were tested. */
  agentless?: boolean;
  /** The controller address(es) this node was told to call back to. */
  callbackAddresses: string[];
  /** The address SSH used, when it was not the first one (the first did not answer). */
  sshAddress?: string;
  /** Multi-address nodes: the callback matrix per NIC. */
  nics?: NicReach[];
  /** Fixes to paste for this node's failing paths (the kinds' general hints are in VERDICTS). */
  remedies?: Remedy[];
  paths: PathReport[];
  /**
   * Requests with this node's token the listener refused because they came from an address not the
   * node's (another node's, or a second unexpected one): its token was used elsewhere. A warning.
   */
  tokenStrays?: StraySummary[];
  ms: number;
}

/** Strays from one source for one reason (controller/wire/stray-book.ts). */
export interface StraySummary {
  /** The source address ("other sources" for the overflow group). */
  source: string;
  reason: string;
  count: number;
  /** Listener ports and request paths seen, a few at most. */
  ports: number[];
  paths: string[];
  /** The node whose valid token was used from this source. */
  node?: string;
}

export interface RunInfo {
  id: string;
  startedAt: string;
  finishedAt: string;
  ms: number;
  interrupted: boolean;
  /** The run tested one share of the inventory (`twoway run --shard I/N`, src/shard.ts). */
  shard?: Shard;
  /** A report `twoway merge` joined from others: each of them as it was run. */
  merged?: MergedRun[];
  controller: {
    listeners: { address: string; port: number; proto: 'http' | 'https' }[];
    fingerprint256: string;
  };
  settings: {
    sizes: number[];
    concurrency: number;
    httpPort: number;
    httpsPort: number;
    /** Quiet time of the idle-hold channel; 0: no hold. */
    idleHoldMs: number;
    firmwareBytes: number;
    /** Alternate ports the controller listened on too (80/443), and why others could not be bound. */
    alternates: { http?: number; https?: number; unavailable: string[] };
    /** The FTP listener's ports, when some node was tested over FTP. */
    ftp?: { controlPort: number; dataPorts: { first: number; last: number } };
    /** Throughput below which a path is slow (--min-mbps). This and the deadlines below: absent in older reports. */
    minMbps?: number;
    /** How long the agent may run on a node (--agent-timeout). */
    agentTimeoutMs?: number;
    /** Each forward probe's deadline (--forward-timeout). */
    forwardTimeoutMs?: number;
    /** The run's update manager (--manager); a node judged by another says so (NodeReport.manager). Absent in older reports. */
    manager?: string;
    /** `off`: callbacks the manager does not need were not tested (--callbacks off); absent: measured. */
    callbacks?: 'off';
  };
  /**
   * Requests the listener refused (no or wrong token, unplanned probe, a request it could not parse,
   * a node's token from an address not its own), and connections from sources that are no node's
   * that carried no request or went over the connection caps.
   */
  strayRequests: number;
  /** The strays grouped by source and reason: someone else is talking to the listener's ports. A warning, never a node's fault. Absent when none. */
  strays?: StraySummary[];
  /**
   * Connections accepted after the listener's per-run connection record was full: counted, not kept,
   * so a probe among them could not be joined to its connection. Absent when none.
   */
  connectionsNotRecorded?: number;
  /** Per source address: connections the listener accepted, and how many carried an authenticated request. */
  listenerPeers: Record<string, { accepted: number; withRequest: number }>;
  /** The controller's SYN_RECV sampling on the listener ports: whether it could look at all. */
  halfOpenSampled: boolean;
}

/** One report a merged report was joined from. */
export interface MergedRun {
  /** The file `twoway merge` read it from, as given. */
  file: string;
  id: string;
  startedAt: string;
  interrupted: boolean;
  shard?: Shard;
  nodes: number;
  controller: RunInfo['controller'];
  settings: RunInfo['settings'];
}

export interface Report {
  version: typeof REPORT_VERSION;
  run: RunInfo;
  nodes: NodeReport[];
  /** Shared causes: every node failing the same port (the controller's side), or a subnet failing together. */
  findings: FleetFinding[];
  summary: Record<VerdictKind, number> & { nodes: number; failedNodes: number } & Partial<ClassCounts>;
}

/**
 * Verdicts by class (src/verdicts.ts VERDICT_CLASSES): each node-level verdict (SSH, agent) and each
 * path's, except the not-measured paths a node-level fault leaves behind (they repeat it). Absent
 * in reports written before they were counted.
 */
export interface ClassCounts {
  faults: number;
  warnings: number;
  information: number;
}

/** A path's class: its kind's, except that a failure on a callback the update manager does not need is information. */
export function pathClass(p: Pick<PathReport, 'verdict' | 'notNeeded'>): VerdictClass {
  const c = VERDICTS[p.verdict].class;
  return p.notNeeded !== undefined && c !== 'ok' ? 'info' : c;
}

export function classCounts(nodes: readonly NodeReport[]): ClassCounts {
  const counts: ClassCounts = { faults: 0, warnings: 0, information: 0 };
  const key = { fault: 'faults', warning: 'warnings', info: 'information' } as const;
  const add = (c: VerdictClass): void => {
    if (c !== 'ok') counts[key[c]] += 1;
  };
  for (const n of nodes) {
    if (n.nodeVerdict !== undefined) add(VERDICTS[n.nodeVerdict].class);
    for (const p of n.paths) if (!(n.nodeVerdict !== undefined && p.verdict === 'not-measured')) add(pathClass(p));
  }
  return counts;
}

/** The summary counts of these node reports. */
export function summarise(nodes: readonly NodeReport[]): Report['summary'] {
  const counts = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as Record<VerdictKind, number>;
  for (const n of nodes) counts[n.verdict] += 1;
  return { ...counts, nodes: nodes.length, failedNodes: nodes.filter((n) => isFailure(n.verdict)).length, ...classCounts(nodes) };
}

/** The fleet finding that already explains this node's callback path, if any (per-node fixes would mislead then). */
export function findingFor(findings: readonly FleetFinding[], node: NodeReport, path: PathReport): FleetFinding | undefined {
  if (path.direction !== 'callback') return undefined;
  return findings.find((f) => f.port === path.port && f.proto === path.proto && f.to === path.to && f.nodes.includes(node.name));
}

/** 0: no fault (warnings and information do not fail a run); 1: any fault. (2, bad input, is decided before a report exists.) */
export function getExitCode(report: Report): 0 | 1 {
  return report.nodes.some((n) => VERDICTS[n.verdict].class === 'fault' || n.paths.some((p) => pathClass(p) === 'fault')) ? 1 : 0;
}

/** The process exit code for a finished run: 130 when it was interrupted (the report is still complete), else getExitCode. */
export function getRunExitCode(report: Report): 0 | 1 | 130 {
  return report.run.interrupted ? 130 : getExitCode(report);
}
