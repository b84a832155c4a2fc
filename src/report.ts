/**
 * The result model every renderer reads. The JSON report is this, serialised: a public, versioned
 * interface. Add fields freely; renaming or removing one is a new REPORT_VERSION.
 */
import { isFailure, type NodeKind, type PathKind, type VerdictKind } from './verdicts.js';

export const REPORT_VERSION = 1;

export type PathDirection = 'callback' | 'forward';

export interface PathReport {
  direction: PathDirection;
  /** callback: the node's source address (or the node's name when unknown); forward: the controller. */
  from: string;
  /** callback: the controller address; forward: the node address. */
  to: string;
  port: number;
  proto: 'http' | 'https' | 'tcp';
  verdict: PathKind;
  /** One sentence on what was seen, for the terminal and the diagnoses list. */
  summary: string;
  evidence: Record<string, unknown>;
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
  nodeEvidence?: Record<string, unknown>;
  agent?: { flavour: string; version: string; runtime: string; platform: string };
  /** The controller address(es) this node was told to call back to. */
  callbackAddresses: string[];
  paths: PathReport[];
  ms: number;
}

export interface RunInfo {
  id: string;
  startedAt: string;
  finishedAt: string;
  ms: number;
  interrupted: boolean;
  controller: {
    listeners: { address: string; port: number; proto: 'http' | 'https' }[];
    fingerprint256: string;
  };
  settings: {
    sizes: number[];
    concurrency: number;
    httpPort: number;
    httpsPort: number;
  };
  /** Requests the listener refused (no or wrong token, unplanned probe). */
  strayRequests: number;
  /** Per source address: connections the listener accepted, and how many carried an authenticated request. */
  listenerPeers: Record<string, { accepted: number; withRequest: number }>;
}

export interface Report {
  version: typeof REPORT_VERSION;
  run: RunInfo;
  nodes: NodeReport[];
  summary: Record<VerdictKind, number> & { nodes: number; failedNodes: number };
}

/** 0: every path ok; 1: anything failed. (2, bad input, is decided before a report exists.) */
export function getExitCode(report: Report): 0 | 1 {
  return report.nodes.some((n) => isFailure(n.verdict) || n.paths.some((p) => isFailure(p.verdict))) ? 1 : 0;
}
