/**
 * The wire protocol's constants: what the controller, the Node agent and the portable agents must
 * agree on to the byte. The portable agents (Python, sh, PowerShell) get each one they use as a
 * generated assignment in front of their script (controller/agents/wire-constants.ts), so this file
 * is their only source too.
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

/**
 * Bounds parseAgentEvent puts on agent events: characters for strings, items for lists. Agents clip
 * what they report to them, so a long interface name or error message is cut, not a rejected line.
 */
export const EVENT_LIMITS = {
  /** The agent line's flavour, version, runtime and platform. */
  flavour: 32,
  version: 32,
  runtime: 64,
  platform: 32,
  hostname: 255,
  /** An interface name or an address, in facts and in endpoints. */
  field: 64,
  addresses: 256,
  routes: 64,
  routeError: 512,
  probeId: 64,
  fingerprint: 128,
  posts: 1000,
  errorCode: 64,
  errorMessage: 1024,
  halfOpenEntries: 256,
  /** The node's listening TCP sockets (address and port) reported with the half-open sample. */
  listeningSockets: 256,
  fatalMessage: 2048,
  /** Echoes in a path MTU bisection from the node (src/mtu-bisect.ts tries at most 12). */
  mtuProbes: 16,
} as const;

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

/** The listener's answer to an upload that arrived whole with other content than planned. */
export const UPLOAD_CORRUPT_STATUS = 422;

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
export const CALLBACK_PROTOS = ['http', 'https', 'ftp'] as const;
export type CallbackProto = (typeof CALLBACK_PROTOS)[number];
export type WebProto = Exclude<CallbackProto, 'ftp'>;

export const PROBE_KINDS = ['hello', 'download', 'upload', 'status', 'hold', 'ftp'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

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
