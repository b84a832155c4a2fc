/**
 * What every callback probe has in common: a fresh connection (from the planned source), TLS pinned
 * by fingerprint for https, then one HTTP request carrying the token. Subclasses run what follows
 * (an answer and its body: Attempt; a WebSocket channel held open: Hold) in their own phases. The
 * phase reached is the evidence: it tells a dropped SYN from a lost return path from a transfer
 * that stopped half-way.
 *
 * Node 12 has no AbortController, so every way an exchange can end (events, our timers, a deadline
 * from outside) goes through one idempotent end(), which records the result and tears down.
 */
import * as http from 'http';
import * as net from 'net';
import * as tls from 'tls';
import { TOKEN_HEADER, AGENT_ERROR_CODES } from '../../src/protocol.js';
import type { CallbackProto, Deadlines, Endpoint, ProbeOutcome, ProbePhase, ProbeResult } from '../../src/protocol.js';
import { now, since } from './clock.js';
import { track } from './open-handles.js';
import { describeError, errorCodeOf, errorOutcome } from './outcomes.js';
import type { ProbeError } from './outcomes.js';
import { hostPort } from '../../src/endpoint.js';

export interface Target {
  proto: CallbackProto;
  address: string;
  port: number;
  /** Local address to bind; absent: the kernel picks. */
  source?: string;
  /** The TCP handshake to `port` completed (agent/src/path-gate.ts lets the path's other probes go). */
  onConnected?: () => void;
}

export interface Secrets {
  token: string;
  /** The listener certificate's SHA-256 fingerprint; the token is only sent to that certificate. */
  fingerprint256: string;
}

/** A probe result without the fields the probe adds itself (type, id, status posts). */
export type ExchangeResult = Omit<ProbeResult, 't' | 'id' | 'posts'>;

/** "AA:BB:..." and "aabb..." name the same certificate. */
function sameFingerprint(a: string, b: string): boolean {
  const bare = (f: string): string => f.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return bare(a) !== '' && bare(a) === bare(b);
}

let pinnedContext: tls.SecureContext | undefined;

/**
 * One TLS context for every handshake, with no CA in it: the listener is trusted by its pinned
 * fingerprint alone, and Node's default context would parse its whole root store first (some 30 ms
 * of the node's CPU per agent, measured on the lab).
 */
function pinnedOnlyContext(): tls.SecureContext {
  pinnedContext = pinnedContext ?? tls.createSecureContext({ ca: [] });
  return pinnedContext;
}

export abstract class Exchange {
  protected phase: ProbePhase = 'connect';
  private readonly started = now();
  protected httpStatus: number | undefined;
  private local: Endpoint | undefined;
  /** Connect to 'connect': the handshake's round trip as the node sees it. */
  private connectMs: number | undefined;
  private fingerprint: string | undefined;
  /** The outermost stream: the TCP socket, then the TLS socket wrapping it. */
  private connection: net.Socket | undefined;
  private untrack: (() => void) | undefined;
  /** Every deadline of the exchange; end() clears them all. */
  private readonly timers: NodeJS.Timeout[] = [];
  private probeDeadline: NodeJS.Timeout | undefined;
  private result: ExchangeResult | undefined;
  private settle: (result: ExchangeResult) => void = () => undefined;
  private readonly finished = new Promise<ExchangeResult>((resolve) => {
    this.settle = resolve;
  });

  constructor(
    protected readonly target: Target,
    protected readonly deadlines: Deadlines,
    protected readonly secrets: Secrets,
  ) {}

  /** Runs the exchange; the promise always resolves, never rejects. */
  start(): Promise<ExchangeResult> {
    this.probeDeadline = this.after(this.deadlines.probeMs, () => this.expire(AGENT_ERROR_CODES.probeDeadline, `probe deadline of ${this.deadlines.probeMs} ms`));
    this.connect();
    return this.finished;
  }

  /** A deadline that ends with the exchange. */
  protected after(ms: number, onExpiry: () => void): NodeJS.Timeout {
    const timer = setTimeout(onExpiry, ms);
    this.timers.push(timer);
    return timer;
  }

  /** Ends the exchange now because a deadline passed; the outcome follows from where it stands. */
  abstract expire(code: string, deadline: string): ExchangeResult;

  /** Connected, and for https the pinned certificate checked: the request can go out on `stream`. */
  protected abstract opened(stream: net.Socket): void;

  /** Adds the subclass's own evidence to the result. */
  protected abstract describe(result: ExchangeResult): void;

  protected get ended(): boolean {
    return this.result !== undefined;
  }

  /** For exchanges whose length is planned separately (the idle hold): probeMs no longer applies. */
  protected cancelProbeDeadline(): void {
    if (this.probeDeadline !== undefined) clearTimeout(this.probeDeadline);
  }

  /** Starts the request on our own connection, already through connect and TLS: no agent, no pooling, no retries. */
  protected sendRequest(stream: net.Socket, method: 'GET' | 'POST', path: string, headers: http.OutgoingHttpHeaders): http.ClientRequest | undefined {
    this.phase = 'request';
    const { address, port } = this.target;
    let req: http.ClientRequest;
    try {
      req = http.request({
        createConnection: () => stream,
        method,
        path,
        headers: { [TOKEN_HEADER]: this.secrets.token, host: hostPort(address, port), ...headers },
      });
    } catch (err) {
      this.fail(err);
      return undefined;
    }
    req.on('error', (err) => this.fail(err));
    return req;
  }

  protected fail(err: unknown): void {
    this.end(errorOutcome(this.phase, errorCodeOf(err)), describeError(err));
  }

  protected end(outcome: ProbeOutcome, error?: ProbeError): ExchangeResult {
    if (this.result !== undefined) return this.result;
    const result: ExchangeResult = { outcome, phase: this.phase, ms: since(this.started) };
    this.describe(result);
    if (this.local !== undefined) result.local = this.local;
    if (this.connectMs !== undefined) result.connectMs = this.connectMs;
    if (this.fingerprint !== undefined) result.fingerprint = this.fingerprint;
    if (this.httpStatus !== undefined) result.httpStatus = this.httpStatus;
    if (error !== undefined) result.error = error;
    this.result = result;
    for (const timer of this.timers) clearTimeout(timer);
    this.untrack?.();
    this.connection?.destroy();
    this.settle(result);
    return result;
  }

  /** A TCP connection to the target's address (from its source, if planned) on `port`; undefined once failed. */
  protected connectTo(port: number): net.Socket | undefined {
    const { address, source } = this.target;
    try {
      return net.connect(source === undefined ? { host: address, port } : { host: address, port, localAddress: source });
    } catch (err) {
      // Invalid address or port: thrown synchronously, before any traffic.
      this.fail(err);
      return undefined;
    }
  }

  private connect(): void {
    const { address, port } = this.target;
    const socket = this.connectTo(port);
    if (socket === undefined) return;
    this.own(socket);
    const timer = this.after(this.deadlines.connectMs, () => {
      // Timers run before the I/O that may carry a connect completed in the same instant: let it land.
      setImmediate(() => {
        if (!socket.connecting || this.ended) return;
        // The SYN went out from a port the kernel chose: the controller's ledger may know that port
        // (a handshake that completed only as the deadline passed, after retransmissions).
        this.noteLocal(socket);
        this.end('timeout', { code: AGENT_ERROR_CODES.connectTimeout, message: `TCP connect to ${hostPort(address, port)} did not complete within ${this.deadlines.connectMs} ms` });
      });
    });
    socket.on('error', (err) => this.fail(err));
    const connectStarted = now();
    socket.once('connect', () => {
      clearTimeout(timer);
      if (this.ended) return;
      this.connectMs = Math.round((now() - connectStarted) * 10) / 10;
      this.noteLocal(socket);
      this.target.onConnected?.();
      if (this.target.proto === 'https') this.handshake(socket);
      else this.opened(socket);
    });
  }

  /** Node reads the local end once and keeps it: only call this once the kernel has bound it. */
  private noteLocal(socket: net.Socket): void {
    if (socket.localAddress !== undefined && socket.localPort !== undefined) {
      this.local = { address: socket.localAddress, port: socket.localPort };
    }
  }

  private handshake(socket: net.Socket): void {
    this.phase = 'tls';
    const { address } = this.target;
    // No SNI for an IP address (RFC 6066 forbids it; Node warns); a name is sent as given.
    const options = { socket, rejectUnauthorized: false, secureContext: pinnedOnlyContext() };
    const secure = tls.connect(net.isIP(address) ? options : { ...options, servername: address });
    this.own(secure);
    const timer = this.after(this.deadlines.connectMs, () =>
      this.end('tls-error', { code: AGENT_ERROR_CODES.tlsTimeout, message: `TLS handshake did not complete within ${this.deadlines.connectMs} ms` }),
    );
    secure.on('error', (err) => this.fail(err));
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      if (this.ended) return;
      // Verification is ours, by pin: the certificate is self-signed, so the CA check is off.
      const seen = secure.getPeerCertificate().fingerprint256;
      if (typeof seen === 'string' && seen !== '') this.fingerprint = seen;
      if (typeof seen !== 'string' || !sameFingerprint(seen, this.secrets.fingerprint256)) {
        // Something else holds the connection (a TLS-inspecting proxy): send it nothing, above
        // all not the token.
        this.end('tls-mismatch', { message: `listener certificate ${seen || '(none)'} is not the pinned ${this.secrets.fingerprint256}` });
        return;
      }
      this.opened(secure);
    });
  }

  /**
   * The exchange closes its connection when it ends, and the agent does if it finishes first. Only
   * the outermost stream is destroyed: it takes what it wraps along, while destroying the TCP
   * socket under a live TLS socket (from within a TLS callback) crashes Node 20 with SIGSEGV.
   */
  private own(outermost: net.Socket): void {
    this.connection = outermost;
    if (this.untrack === undefined) this.untrack = track(() => this.connection?.destroy());
  }
}
