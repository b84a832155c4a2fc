/**
 * The wire protocol between controller and agent.
 *
 * The controller sends a Plan (embedded in the script it streams over SSH); the agent answers with
 * JSON Lines on stdout, one AgentEvent per line. Agent output is untrusted input: the controller
 * parses every line with parseAgentEvent, which bounds sizes and rejects anything malformed.
 *
 * This file is bundled into the agent, so it must use nothing but the language itself.
 */

export const PROTOCOL_VERSION = 1;

/** Longest line the controller accepts from an agent, and the most it reads in total. */
export const MAX_AGENT_LINE_BYTES = 64 * 1024;
export const MAX_AGENT_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Largest request body the listener accepts for status POSTs (uploads are bounded by their planned size). */
export const MAX_STATUS_BODY_BYTES = 16 * 1024;

/** Largest message either side sends on the idle-hold channel. */
export const MAX_HOLD_MESSAGE_BYTES = 1024;

/** HTTP paths served by the callback listener. */
export const PATHS = {
  hello: '/tw/hello',
  blob: '/tw/blob',
  status: '/tw/status',
  /** POST of a planned size: the upload ladder (firmware logs, inventories going back). */
  upload: '/tw/upload',
  /** WebSocket upgrade: the idle-hold channel. */
  hold: '/tw/hold',
} as const;

/**
 * Upload bodies are this line repeated and cut to the planned size: every flavour of agent can make
 * it without a file (`yes 'twoway upload' | head -c N`, `(b"twoway upload\n" * k)[:N]`), and the
 * listener checks its SHA-256 against the plan's.
 */
export const UPLOAD_LINE = 'twoway upload\n';

/**
 * The idle-hold exchange, as text messages on the WebSocket:
 *   agent: open  -> listener: open       (the channel works)
 *   ... both sides quiet for holdMs ...
 *   listener: push                        (controller -> node after the idle time)
 *   agent: ping  -> listener: pong        (node -> controller, and its answer)
 * The agent waits up to stallMs after holdMs for push and pong.
 */
export const HOLD_MESSAGES = { open: 'open', push: 'push', ping: 'ping', pong: 'pong' } as const;

/** Header that carries the per-node token; the probe id travels in the query string (?probe=). */
export const TOKEN_HEADER = 'x-twoway-token';

/** The callback listener's protocols; ftp has a listener of its own. */
export type WebProto = 'http' | 'https';
export type CallbackProto = WebProto | 'ftp';
export type ProbeKind = 'hello' | 'download' | 'upload' | 'status' | 'hold' | 'ftp';

/**
 * The FTP probe's dialogue (switch firmware is fetched over FTP from the update manager):
 *   listener: 220 banner
 *   agent: USER <node>        -> 331
 *   agent: PASS <token>       -> 230      (a wrong name or token: 530)
 *   agent: TYPE I             -> 200
 *   agent: SIZE <probe id>    -> 213 <planned size>   (names the probe before any data moves)
 *   agent: PASV               -> 227 (a,b,c,d,p1,p2)  (a port from the plan's passive range)
 *   agent connects to that port on the control connection's address, then
 *   agent: RETR <probe id>    -> 150, the file on the data connection, 226
 *   agent: QUIT               -> 221
 */
export const FTP_REPLY_CODES = { banner: 220, userOk: 331, loggedIn: 230, typeOk: 200, size: 213, passive: 227, opening: 150, transferComplete: 226, bye: 221, notLoggedIn: 530 } as const;

/** Longest FTP command or reply line either side accepts (RFC 959 lines are short; a longer one is not our peer). */
export const MAX_FTP_LINE_BYTES = 512;

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

/** How a single callback probe ended, from the agent's side. */
export const PROBE_OUTCOMES = [
  'ok',
  'timeout', // TCP connect did not complete in time
  'refused', // RST in answer to the SYN
  'reset', // connection reset after it was established
  'unreachable', // ICMP host/network unreachable, or no route
  'no-response', // connected and sent the request, no answer before the deadline
  'stalled', // the body stopped arriving at a byte offset
  'truncated', // the connection closed before the whole body arrived
  'corrupt', // the body arrived whole but its content is wrong
  'tls-mismatch', // TLS completed with a certificate other than the pinned one
  'tls-error', // TLS handshake failed
  'http-error', // the listener answered with a non-2xx status
  'ftp-error', // the FTP listener answered a command with an error reply; ftp.reply says which
  'error', // anything else; see error.message
  'unsupported', // this agent flavour cannot measure the probe (e.g. wget cannot pin TLS); error.message says what
] as const;
export type ProbeOutcome = (typeof PROBE_OUTCOMES)[number];

/**
 * Codes the agent puts in error.code where the outcome alone is ambiguous: a probe-deadline "stall"
 * while bytes still flow is slowness, not a stall; a probe that never started was not measured.
 */
export const AGENT_ERROR_CODES = {
  connectTimeout: 'TWOWAY_CONNECT_TIMEOUT',
  tlsTimeout: 'TWOWAY_TLS_TIMEOUT',
  /** No byte for stallMs. */
  stall: 'TWOWAY_STALL',
  /** probeMs passed (data may still have been flowing). */
  probeDeadline: 'TWOWAY_PROBE_DEADLINE',
  /** totalMs passed while the probe ran. */
  agentDeadline: 'TWOWAY_AGENT_DEADLINE',
  /** totalMs passed before the probe started. */
  notStarted: 'TWOWAY_NOT_STARTED',
  agentBug: 'TWOWAY_AGENT_BUG',
  /** The flavour cannot measure this probe; the verdict is "not measured", never a guess. */
  unsupported: 'TWOWAY_UNSUPPORTED',
} as const;

/**
 * hold: the channel is open and quiet, or being checked after the quiet time. ftp: connect is the
 * control connection, request the dialogue up to PASV, data-connect the passive data connection,
 * body the file on it, response the wait for the transfer's 226.
 */
export const PROBE_PHASES = ['connect', 'tls', 'request', 'response', 'body', 'hold', 'data-connect'] as const;
export type ProbePhase = (typeof PROBE_PHASES)[number];

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

/** The node's SYN_RECV connections at the end of the run (Linux); measured=false where unknown. */
export interface AgentHalfOpen {
  t: 'halfopen';
  measured: boolean;
  entries: HalfOpen[];
}

export interface AgentDone {
  t: 'done';
  ms: number;
}

export interface AgentFatal {
  t: 'fatal';
  message: string;
}

export type AgentEvent = AgentHello | AgentFacts | ProbeResult | AgentHalfOpen | AgentDone | AgentFatal;

// ---------------------------------------------------------------------------------------------
// Validation of agent output (untrusted). Hand-written so the agent bundle stays dependency-free.

export class AgentLineError extends Error {
  readonly code = 'TWOWAY_AGENT_LINE';
  constructor(message: string) {
    super(message);
    this.name = 'AgentLineError';
  }
}

type Obj = Record<string, unknown>;

function fail(field: string, expected: string): never {
  throw new AgentLineError(`field "${field}": expected ${expected}`);
}
function str(o: Obj, k: string, max = 512): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length > max) fail(k, `a string of at most ${max} characters`);
  return v;
}
function optStr(o: Obj, k: string, max = 512): string | undefined {
  return o[k] === undefined ? undefined : str(o, k, max);
}
function num(o: Obj, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(k, 'a non-negative finite number');
  return v;
}
function optNum(o: Obj, k: string): number | undefined {
  return o[k] === undefined ? undefined : num(o, k);
}
function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'an object');
  return v as Obj;
}
function arr(o: Obj, k: string, max: number): unknown[] {
  const v = o[k];
  if (!Array.isArray(v) || v.length > max) fail(k, `an array of at most ${max} items`);
  return v;
}
function oneOf<T extends string>(o: Obj, k: string, allowed: readonly T[]): T {
  const v = o[k];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(k, `one of ${allowed.join(', ')}`);
  return v as T;
}
function endpoint(v: unknown, field: string): Endpoint {
  const o = obj(v, field);
  return { address: str(o, 'address', 64), port: num(o, 'port') };
}

function bool(o: Obj, k: string, field: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') fail(field, 'a boolean');
  return v;
}
function ftpResult(f: Obj): FtpResult {
  const result: FtpResult = { controlOk: bool(f, 'controlOk', 'ftp.controlOk'), loginOk: bool(f, 'loginOk', 'ftp.loginOk'), dataConnected: bool(f, 'dataConnected', 'ftp.dataConnected') };
  const pasvPort = optNum(f, 'pasvPort');
  if (pasvPort !== undefined) {
    if (!Number.isInteger(pasvPort) || pasvPort < 1 || pasvPort > 65535) fail('ftp.pasvPort', 'a port 1..65535');
    result.pasvPort = pasvPort;
  }
  const reply = optStr(f, 'reply', MAX_FTP_LINE_BYTES);
  if (reply !== undefined) result.reply = reply;
  return result;
}

/** Whether `text` takes more than `max` bytes as UTF-8 (counted without encoding it: no Buffer in this file). */
function utf8LongerThan(text: string, max: number): boolean {
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a string with more units is too long at once.
  if (text.length > max) return true;
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= max; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes > max;
}

/** Parse and validate one line of agent output. Throws AgentLineError naming the bad field. */
export function parseAgentEvent(line: string): AgentEvent {
  if (utf8LongerThan(line, MAX_AGENT_LINE_BYTES)) throw new AgentLineError(`line longer than ${MAX_AGENT_LINE_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new AgentLineError('not JSON');
  }
  const o = obj(raw, 'line');
  const t = oneOf(o, 't', ['agent', 'facts', 'probe', 'halfopen', 'done', 'fatal'] as const);
  switch (t) {
    case 'agent':
      return { t, flavour: str(o, 'flavour', 32), version: str(o, 'version', 32), runtime: str(o, 'runtime', 64), platform: str(o, 'platform', 32) };
    case 'facts':
      return {
        t,
        hostname: str(o, 'hostname', 255),
        addresses: arr(o, 'addresses', 256).map((a) => {
          const x = obj(a, 'addresses[]');
          return { iface: str(x, 'iface', 64), address: str(x, 'address', 64), family: oneOf(x, 'family', ['IPv4', 'IPv6'] as const) };
        }),
        routes: arr(o, 'routes', 64).map((r) => {
          const x = obj(r, 'routes[]');
          const route: RouteFact = { to: str(x, 'to', 64) };
          const source = optStr(x, 'source', 64);
          const iface = optStr(x, 'iface', 64);
          const error = optStr(x, 'error');
          if (source !== undefined) route.source = source;
          if (iface !== undefined) route.iface = iface;
          if (error !== undefined) route.error = error;
          return route;
        }),
      };
    case 'probe': {
      const result: ProbeResult = {
        t,
        id: str(o, 'id', 64),
        outcome: oneOf(o, 'outcome', PROBE_OUTCOMES),
        phase: oneOf(o, 'phase', PROBE_PHASES),
        ms: num(o, 'ms'),
      };
      const bytes = optNum(o, 'bytes');
      if (bytes !== undefined) result.bytes = bytes;
      if (o.local !== undefined) result.local = endpoint(o.local, 'local');
      if (o.seen !== undefined) result.seen = endpoint(o.seen, 'seen');
      const fingerprint = optStr(o, 'fingerprint', 128);
      if (fingerprint !== undefined) result.fingerprint = fingerprint;
      const httpStatus = optNum(o, 'httpStatus');
      if (httpStatus !== undefined) result.httpStatus = httpStatus;
      if (o.posts !== undefined) {
        result.posts = arr(o, 'posts', 1000).map((p) => {
          const x = obj(p, 'posts[]');
          if (typeof x.ok !== 'boolean') fail('posts[].ok', 'a boolean');
          return { ms: num(x, 'ms'), ok: x.ok };
        });
      }
      if (o.hold !== undefined) {
        const h = obj(o.hold, 'hold');
        if (typeof h.push !== 'boolean') fail('hold.push', 'a boolean');
        if (typeof h.pong !== 'boolean') fail('hold.pong', 'a boolean');
        result.hold = { idleMs: num(h, 'idleMs'), push: h.push, pong: h.pong };
      }
      if (o.ftp !== undefined) result.ftp = ftpResult(obj(o.ftp, 'ftp'));
      if (o.error !== undefined) {
        const e = obj(o.error, 'error');
        const code = optStr(e, 'code', 64);
        result.error = code === undefined ? { message: str(e, 'message', 1024) } : { code, message: str(e, 'message', 1024) };
      }
      return result;
    }
    case 'halfopen':
      if (typeof o.measured !== 'boolean') fail('measured', 'a boolean');
      return {
        t,
        measured: o.measured,
        entries: arr(o, 'entries', 256).map((e) => {
          const x = obj(e, 'entries[]');
          return { local: endpoint(x.local, 'entries[].local'), remote: endpoint(x.remote, 'entries[].remote') };
        }),
      };
    case 'done':
      return { t, ms: num(o, 'ms') };
    case 'fatal':
      return { t, message: str(o, 'message', 2048) };
  }
}
