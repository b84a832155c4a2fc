/**
 * One HTTP exchange on a fresh connection, in explicit phases: connect, tls (https only), request,
 * response (waiting for the status line and headers), body. The phase reached is the evidence: it
 * tells a dropped SYN from a lost return path from a transfer that stopped half-way.
 *
 * Node 12 has no AbortController, so every way an attempt can end (events, our timers, a deadline
 * from outside) goes through one idempotent end(), which records the result and tears down.
 */
import * as http from 'http';
import * as net from 'net';
import * as tls from 'tls';
import { TOKEN_HEADER, AGENT_ERROR_CODES } from '../../src/protocol.js';
import type { CallbackProto, Deadlines, Endpoint, ProbeOutcome, ProbePhase, ProbeResult } from '../../src/protocol.js';
import type { BodyCheck } from './body-checks.js';
import { now, since } from './clock.js';
import { track } from './open-handles.js';
import { deadlineOutcome, describeError, errorCodeOf, errorOutcome } from './outcomes.js';
import type { ProbeError } from './outcomes.js';

export interface AttemptSpec {
  proto: CallbackProto;
  address: string;
  port: number;
  /** Local address to bind; absent: the kernel picks. */
  source?: string;
  method: 'GET' | 'POST';
  /** Path with query string. */
  path: string;
  /** JSON request body (status POSTs). */
  body?: string;
  check: BodyCheck;
}

export interface AttemptSecrets {
  token: string;
  /** The listener certificate's SHA-256 fingerprint; the token is only sent to that certificate. */
  fingerprint256: string;
}

/** A probe result without the fields the probe adds itself (type, id, status posts). */
export type AttemptResult = Omit<ProbeResult, 't' | 'id' | 'posts'>;

/** "AA:BB:..." and "aabb..." name the same certificate. */
function sameFingerprint(a: string, b: string): boolean {
  const bare = (f: string): string => f.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return bare(a) !== '' && bare(a) === bare(b);
}

function hostHeader(address: string, port: number): string {
  return net.isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export class Attempt {
  private phase: ProbePhase = 'connect';
  private readonly started = now();
  /** Body bytes received; undefined until the body phase starts. */
  private bytes: number | undefined;
  private local: Endpoint | undefined;
  private seen: Endpoint | undefined;
  private fingerprint: string | undefined;
  private httpStatus: number | undefined;
  /** The outermost stream: the TCP socket, then the TLS socket wrapping it. */
  private connection: net.Socket | undefined;
  private untrack: (() => void) | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Re-armed by every byte of the answer; created when the request goes out. */
  private stallTimer: NodeJS.Timeout | undefined;
  private result: AttemptResult | undefined;
  private settle: (result: AttemptResult) => void = () => undefined;
  private readonly finished = new Promise<AttemptResult>((resolve) => {
    this.settle = resolve;
  });

  constructor(
    private readonly spec: AttemptSpec,
    private readonly deadlines: Deadlines,
    private readonly secrets: AttemptSecrets,
  ) {}

  /** Runs the exchange; the promise always resolves, never rejects. */
  start(): Promise<AttemptResult> {
    this.timers.push(setTimeout(() => this.expire(AGENT_ERROR_CODES.probeDeadline, `probe deadline of ${this.deadlines.probeMs} ms`), this.deadlines.probeMs));
    this.connect();
    return this.finished;
  }

  /** Ends the attempt now because a deadline passed; the outcome follows from the phase reached. */
  expire(code: string, deadline: string): AttemptResult {
    const where = this.phase === 'body' ? `body, at byte ${this.bytes ?? 0}` : this.phase;
    return this.end(deadlineOutcome(this.phase), { code, message: `${deadline} passed during ${where}` });
  }

  private connect(): void {
    const { address, port, source } = this.spec;
    let socket: net.Socket;
    try {
      socket = net.connect(source === undefined ? { host: address, port } : { host: address, port, localAddress: source });
    } catch (err) {
      // Invalid address or port: thrown synchronously, before any traffic.
      this.fail(err);
      return;
    }
    this.own(socket);
    const timer = setTimeout(
      () => this.end('timeout', { code: AGENT_ERROR_CODES.connectTimeout, message: `TCP connect to ${hostHeader(address, port)} did not complete within ${this.deadlines.connectMs} ms` }),
      this.deadlines.connectMs,
    );
    this.timers.push(timer);
    socket.on('error', (err) => this.fail(err));
    socket.once('connect', () => {
      clearTimeout(timer);
      if (this.result !== undefined) return;
      if (socket.localAddress !== undefined && socket.localPort !== undefined) {
        this.local = { address: socket.localAddress, port: socket.localPort };
      }
      if (this.spec.proto === 'https') this.handshake(socket);
      else this.request(socket);
    });
  }

  private handshake(socket: net.Socket): void {
    this.phase = 'tls';
    const { address } = this.spec;
    // No SNI for an IP address (RFC 6066 forbids it; Node warns); a name is sent as given.
    const secure = tls.connect(net.isIP(address) ? { socket, rejectUnauthorized: false } : { socket, rejectUnauthorized: false, servername: address });
    this.own(secure);
    const timer = setTimeout(
      () => this.end('tls-error', { code: AGENT_ERROR_CODES.tlsTimeout, message: `TLS handshake did not complete within ${this.deadlines.connectMs} ms` }),
      this.deadlines.connectMs,
    );
    this.timers.push(timer);
    secure.on('error', (err) => this.fail(err));
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      if (this.result !== undefined) return;
      // Verification is ours, by pin: the certificate is self-signed, so the CA check is off.
      const seen = secure.getPeerCertificate().fingerprint256;
      if (typeof seen === 'string' && seen !== '') this.fingerprint = seen;
      if (typeof seen !== 'string' || !sameFingerprint(seen, this.secrets.fingerprint256)) {
        // Something else holds the connection (a TLS-inspecting proxy): send it nothing, above
        // all not the token.
        this.end('tls-mismatch', { message: `listener certificate ${seen || '(none)'} is not the pinned ${this.secrets.fingerprint256}` });
        return;
      }
      this.request(secure);
    });
  }

  private request(stream: net.Socket): void {
    this.phase = 'request';
    const { method, path, body, address, port } = this.spec;
    const headers: http.OutgoingHttpHeaders = {
      [TOKEN_HEADER]: this.secrets.token,
      host: hostHeader(address, port),
      connection: 'close',
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    // The stall deadline covers the wait for the answer as well as the body.
    this.stallTimer = setTimeout(() => this.expire(AGENT_ERROR_CODES.stall, `stall deadline of ${this.deadlines.stallMs} ms without a byte`), this.deadlines.stallMs);
    this.timers.push(this.stallTimer);
    let req: http.ClientRequest;
    try {
      // Our own connection, already through connect and TLS: no agent, no pooling, no retries.
      req = http.request({ createConnection: () => stream, method, path, headers });
    } catch (err) {
      this.fail(err);
      return;
    }
    req.on('error', (err) => this.fail(err));
    req.on('finish', () => {
      if (this.phase === 'request') this.phase = 'response';
    });
    req.on('response', (res: http.IncomingMessage) => this.response(res));
    req.end(body);
  }

  private response(res: http.IncomingMessage): void {
    // Error listeners stay for good: Node may still emit on a torn-down response.
    res.on('error', (err) => this.fail(err));
    if (this.result !== undefined) return;
    this.stallTimer?.refresh();
    this.httpStatus = res.statusCode;
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      this.phase = 'response';
      this.end('http-error', { message: `listener answered ${status} ${res.statusMessage ?? ''}`.trim() });
      return;
    }
    this.phase = 'body';
    this.bytes = 0;
    const { check } = this.spec;
    res.on('data', (chunk: Buffer) => {
      if (this.result !== undefined) return;
      this.bytes = (this.bytes ?? 0) + chunk.length;
      this.stallTimer?.refresh();
      const problem = check.take(chunk);
      if (problem !== undefined) this.end('corrupt', { message: problem });
    });
    // A connection closed mid-body: Node 12 emits 'aborted' then still 'end'; Node 20 'aborted'
    // then an error. 'aborted' comes first in both, and res.complete guards 'end'.
    res.on('aborted', () => this.end('truncated', { message: `connection closed after ${this.bytes ?? 0} bytes of the body` }));
    res.on('end', () => {
      if (!res.complete) {
        this.end('truncated', { message: `connection closed after ${this.bytes ?? 0} bytes of the body` });
        return;
      }
      const verdict = check.finish();
      if (verdict.ok) {
        this.seen = verdict.seen;
        this.end('ok');
      } else {
        this.end(verdict.outcome, { message: verdict.message });
      }
    });
  }

  private fail(err: unknown): void {
    this.end(errorOutcome(this.phase, errorCodeOf(err)), describeError(err));
  }

  /**
   * The attempt closes its connection when it ends, and the agent does if it finishes first. Only
   * the outermost stream is destroyed: it takes what it wraps along, while destroying the TCP
   * socket under a live TLS socket (from within a TLS callback) crashes Node 20 with SIGSEGV.
   */
  private own(outermost: net.Socket): void {
    this.connection = outermost;
    if (this.untrack === undefined) this.untrack = track(() => this.connection?.destroy());
  }

  private end(outcome: ProbeOutcome, error?: ProbeError): AttemptResult {
    if (this.result !== undefined) return this.result;
    const result: AttemptResult = { outcome, phase: this.phase, ms: since(this.started) };
    if (this.bytes !== undefined) result.bytes = this.bytes;
    if (this.local !== undefined) result.local = this.local;
    if (this.seen !== undefined) result.seen = this.seen;
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
}
