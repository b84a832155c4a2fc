/**
 * The wire protocol's shapes: the Plan the controller sends (embedded in the script it streams over
 * SSH) and the AgentEvents the agent answers with, one JSON line each.
 */
import type { CallbackProto, ProbeKind, ProbeOutcome, ProbePhase, PROTOCOL_VERSION } from './constants.js';

export interface PortRange {
  first: number;
  last: number;
}

/** One callback the agent makes: which endpoint, on which controller address, from which source. */
export interface PlannedProbe {
  id: string;
  kind: ProbeKind;
  proto: CallbackProto;
  address: string;
  port: number;
  /** Local address to bind (dual-homed nodes); absent: the kernel picks. */
  source?: string;
  /** download: bytes expected; upload: bytes to send; and the SHA-256 (hex) of that content. */
  size?: number;
  sha256?: string;
  /** status: number of POSTs and the gap between them. */
  posts?: number;
  intervalMs?: number;
  /** hold: how long the channel stays quiet before both sides check it still carries traffic. */
  holdMs?: number;
  /** ftp: the passive data ports the listener offers from (the control port is `port`). */
  dataPorts?: PortRange;
  /**
   * hello to one of the controller's alternate ports (80/443): not a path of its own; it tells
   * whether moving the update manager to those ports would get past a firewall.
   */
  alternate?: boolean;
}

export interface Deadlines {
  /** TCP connect (and TLS handshake) deadline per probe. */
  connectMs: number;
  /** No byte received for this long while a response is due: the probe stalled. */
  stallMs: number;
  /** Whole-probe deadline. */
  probeMs: number;
  /** Whole-agent deadline; the agent stops and reports what it has. */
  totalMs: number;
}

export interface Plan {
  version: typeof PROTOCOL_VERSION;
  runId: string;
  node: string;
  token: string;
  /** SHA-256 fingerprint of the listener's certificate, upper-case hex pairs joined by ':' (Node's fingerprint256 form). */
  fingerprint256: string;
  /**
   * SHA-256 of the same certificate's public key (its DER SubjectPublicKeyInfo), base64: the pin
   * curl takes (--pinnedpubkey sha256//...), for agents that cannot see the certificate itself.
   */
  spkiSha256Base64?: string;
  /** Controller addresses the agent should report a route to. */
  controllerAddresses: string[];
  probes: PlannedProbe[];
  deadlines: Deadlines;
  /** How many probes run at once on the node. */
  concurrency: number;
}

export interface Endpoint {
  address: string;
  port: number;
}

export interface AgentHello {
  t: 'agent';
  flavour: string;
  version: string;
  runtime: string;
  platform: string;
}

export interface NodeAddress {
  iface: string;
  address: string;
  family: 'IPv4' | 'IPv6';
}

export interface RouteFact {
  /** A controller address from the plan. */
  to: string;
  /** The source address the node's kernel picks to reach it; absent when there is no route. */
  source?: string;
  /** Interface that source lives on, when known. */
  iface?: string;
  error?: string;
}

export interface AgentFacts {
  t: 'facts';
  hostname: string;
  addresses: NodeAddress[];
  routes: RouteFact[];
}

export interface StatusPost {
  ms: number;
  ok: boolean;
}

/** hold: what came through after the idle time. */
export interface HoldResult {
  /** How long the channel was quiet before the check. */
  idleMs: number;
  /** The listener's push arrived (controller -> node). */
  push: boolean;
  /** The answer to the agent's ping arrived (node -> controller -> node). */
  pong: boolean;
}

/** ftp: how far the dialogue got, so the control path and the data path each get their verdict. */
export interface FtpResult {
  /** The control connection opened and the 220 banner arrived. */
  controlOk: boolean;
  /** USER/PASS were accepted (230). */
  loginOk: boolean;
  /** The data port the PASV answer offered; absent when none was offered. */
  pasvPort?: number;
  /** The data connection to pasvPort opened. */
  dataConnected: boolean;
  /** The last reply line from the listener (e.g. "530 not logged in"), for evidence. */
  reply?: string;
}

export interface ProbeResult {
  t: 'probe';
  id: string;
  outcome: ProbeOutcome;
  /** Where the probe ended (for ok: the last phase, 'body'). */
  phase: ProbePhase;
  ms: number;
  /** Body bytes received (download), sent (upload), or bytes of the hello/status answers. */
  bytes?: number;
  /** The agent's own end of the connection, once connected (the Node agent's also after a connect timeout: where its SYN came from). */
  local?: Endpoint;
  /** Time from starting the TCP connect to its completion: one handshake round trip (agents that can time it). */
  connectMs?: number;
  /** hello: the source address and port the controller saw. */
  seen?: Endpoint;
  /** https: the fingerprint the agent saw. */
  fingerprint?: string;
  httpStatus?: number;
  posts?: StatusPost[];
  hold?: HoldResult;
  ftp?: FtpResult;
  error?: { code?: string; message: string };
}

export interface HalfOpen {
  local: Endpoint;
  remote: Endpoint;
}

/**
 * The node's listening TCP sockets: the node's own view of which forward ports have a service behind
 * them, so a reset to a forward probe can be told apart (nothing listens: the port is closed; a
 * listener exists: something rejects the connection). measured=false with the reason where the
 * flavour cannot read them.
 */
export interface ListeningSockets {
  measured: boolean;
  reason?: string;
  sockets: Endpoint[];
}

/**
 * The node's socket table at the end of the run: its SYN_RECV connections (Linux; measured=false
 * where unknown) and, from agents that report them, its listening sockets.
 */
export interface AgentHalfOpen {
  t: 'halfopen';
  measured: boolean;
  entries: HalfOpen[];
  listening?: ListeningSockets;
}

/**
 * The node's TCP segment counters (Linux /proc/net/snmp Tcp OutSegs and RetransSegs), as the
 * difference from the agent's start to its end: the whole host's figure (every connection of the
 * node's network namespace in that time), not only the agent's.
 */
export interface HostTcpCounters {
  outSegs: number;
  retransSegs: number;
}

export interface AgentDone {
  t: 'done';
  ms: number;
  /** Absent where the agent cannot read the counters. */
  hostTcp?: HostTcpCounters;
}

export interface AgentFatal {
  t: 'fatal';
  message: string;
}

/**
 * A stalled transfer tried once more, after the probes that were still waiting (issue 14: an outage
 * stalls a size once, a size limit stalls it every time). Its probe's result line came first.
 */
export interface ProbeRetry {
  t: 'retry';
  id: string;
  outcome: ProbeOutcome;
  phase: ProbePhase;
  ms: number;
  /** Body bytes received (download) or sent (upload). */
  bytes?: number;
  error?: { code?: string; message: string };
}

/**
 * The path MTU toward a controller address, bisected from the node with ICMP echoes with DF set
 * (src/mtu-bisect.ts) after a transfer stalled; measured=false with the reason where the node cannot.
 */
export interface AgentPathMtu {
  t: 'pathmtu';
  to: string;
  measured: boolean;
  mtu?: number;
  below?: number;
  interfaceMtu?: number;
  reason?: string;
  probes: { size: number; ok: boolean }[];
  /** The command that tries one size by hand on the node. */
  command: string;
}

export type AgentEvent = AgentHello | AgentFacts | ProbeResult | ProbeRetry | AgentPathMtu | AgentHalfOpen | AgentDone | AgentFatal;

