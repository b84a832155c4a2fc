/**
 * The run's callback listener: HTTP and HTTPS on each chosen controller address, living only for the
 * run, plus (best effort) the same on alternate ports. Every request must carry a node's token and
 * one of that node's planned probe ids for the right endpoint, protocol and port (listener-admission.ts);
 * anything else gets 403 and is counted as stray, as is a request Node cannot parse (answered 400, or
 * 431 for headers over the limit). Every accepted request goes into the ledger with what went each
 * way (listener-answers.ts), and every accepted TCP connection with how its TLS handshake ended. The
 * idle-hold channel is a WebSocket upgrade on the same servers, authenticated the same way
 * (listener-hold.ts). This file owns the servers' lifecycle and the connections' accounting: the
 * caps on open connections (in all and per source that is no node's, ListenerLimits), the TLS
 * handshake and header timeouts, and the strays a stranger's connection without a request makes.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { WebProto } from '../../src/protocol.js';
import { SetupError } from '../../src/errors.js';
import type { RunCertificate } from './cert.js';
import type { BlobStore } from './blobs.js';
import { Ledger, type LedgerConnection } from './ledger.js';
import { admit, type AdmissionRules, type Entrance } from './listener-admission.js';
import { answer } from './listener-answers.js';
import { HoldChannels } from './listener-hold.js';
import { answerAndClose, closeServer, listen, localOf, peerOf } from './listener-sockets.js';
import { admitMedia, answerMedia, isMediaPath } from './listener-media.js';
import type { SourceBinding } from './source-binding.js';

/** Where to listen, with what certificate and content; tokens and findProbe decide what is admitted. */
export interface ListenerOptions extends AdmissionRules {
  addresses: readonly string[];
  httpPort: number;
  httpsPort: number;
  cert: RunCertificate;
  blobs: BlobStore;
  /**
   * Also listen here, best effort (the update manager's alternatives, 80 and 443): a port that
   * cannot be bound is reported by alternates(), not fatal.
   */
  alternatePorts?: { http: number; https: number };
  /**
   * Which addresses each node calls from (admission serves a token only from those) and so which
   * connections are a node's: kept and uncapped per peer. Without it every source counts as a node's.
   */
  sources?: SourceBinding;
  limits?: Partial<ListenerLimits>;
}

/** Bounds on what any peer can hold open, sized for a fleet of a few thousand nodes. */
export interface ListenerLimits {
  /** Open connections in all; sources that are no node's get half of them at most, so the nodes keep theirs. */
  maxConnections: number;
  /** Open connections from one source that is no node's (a NAT in front of many nodes is bound to them: not capped). */
  maxConnectionsPerPeer: number;
  /** An HTTPS connection that has not completed its TLS handshake by then is closed (Node's default: 120 s). */
  handshakeTimeoutMs: number;
  /** Request headers must be complete by then (a slowloris is cut), checked every checkIntervalMs. */
  headersTimeoutMs: number;
  /** The whole request, body included (a slow upload the agent's own deadline did not cut). */
  requestTimeoutMs: number;
  /** How often Node checks the two above (its default, 30 s, let a slowloris hold a connection that long). */
  checkIntervalMs: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  maxConnections: 4096,
  maxConnectionsPerPeer: 64,
  handshakeTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  checkIntervalMs: 1_000,
};

/** Stray reasons for connections (listener-admission.ts has the requests'). */
export const CONNECTION_STRAY = {
  overTotal: 'over the connection cap',
  overPeer: 'over the per-source connection cap',
  empty: 'connection without a request',
} as const;

export interface AlternatePorts {
  /** Alternate ports bound on every listen address. */
  http?: number;
  https?: number;
  /** Why each alternate port that is not bound could not be, one line each. */
  unavailable: string[];
}

export interface BoundListener {
  address: string;
  port: number;
  proto: WebProto;
}

/** Names a connection the same from its TCP socket and from the TLS socket over it. */
function connectionKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}|${socket.localAddress}|${socket.localPort}`;
}

/** The answer to a request Node could not parse: 431 when the headers were over the limit. */
const MALFORMED_ANSWER: Record<string, [status: string, body: string]> = {
  HPE_HEADER_OVERFLOW: ['431 Request Header Fields Too Large', 'headers too large\n'],
};
const BAD_REQUEST: [string, string] = ['400 Bad Request', 'bad request\n'];

export class CallbackListener {
  readonly ledger: Ledger;
  private readonly limits: ListenerLimits;
  /** Open connections per source, and those from sources that are no node's. */
  private readonly open = new Map<string, number>();
  private openTotal = 0;
  private openStray = 0;
  /** Connections (by connectionKey) that carried a request, admitted or not: the others from strangers are strays. */
  private readonly carried = new Set<string>();
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  /**
   * HTTPS connections still in the TLS handshake. A handshake black-holed on the path (an MTU black
   * hole eats the certificate) would otherwise hold close() until the TLS handshake timeout.
   */
  private readonly handshaking = new Set<Socket>();
  /** The ledger's records of connections still in the TLS handshake, by connectionKey. */
  private readonly handshakeRecords = new Map<string, LedgerConnection>();
  /** Sockets with a response under way: an unparsable request after it cannot be answered in the middle of it. */
  private readonly answering = new WeakSet<Socket>();
  private readonly bound: BoundListener[] = [];
  private readonly alternatePorts: AlternatePorts = { unavailable: [] };
  private readonly holds = new HoldChannels();

  constructor(private readonly options: ListenerOptions) {
    const sources = options.sources;
    this.ledger = new Ledger(sources === undefined ? undefined : (address) => sources.isExpected(address));
    this.limits = { ...DEFAULT_LISTENER_LIMITS, ...options.limits };
  }

  /** The main listeners (alternates() has the others). */
  get endpoints(): readonly BoundListener[] {
    return this.bound;
  }

  portFor(proto: WebProto): number {
    const b = this.bound.find((e) => e.proto === proto);
    if (b === undefined) throw new SetupError(`no ${proto} listener is bound`);
    return b.port;
  }

  /** The alternate ports bound by start(), and why the others are not. */
  alternates(): AlternatePorts {
    return { ...this.alternatePorts, unavailable: [...this.alternatePorts.unavailable] };
  }

  async start(): Promise<void> {
    try {
      for (const proto of ['http', 'https'] as const) {
        const { servers, port } = await this.bind(proto, proto === 'http' ? this.options.httpPort : this.options.httpsPort, false);
        this.servers.push(...servers);
        for (const address of this.options.addresses) this.bound.push({ address, port, proto });
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    const alternate = this.options.alternatePorts;
    if (alternate === undefined) return;
    for (const proto of ['http', 'https'] as const) {
      try {
        const { servers, port } = await this.bind(proto, alternate[proto], true);
        this.servers.push(...servers);
        this.alternatePorts[proto] = port;
      } catch (err) {
        this.alternatePorts.unavailable.push(`${proto} alternate: ${(err as Error).message}`);
      }
    }
  }

  /** Upgraded sockets are among `sockets` too: destroying them ends the hold channels and their timers. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    // After the TLS sockets: their raw sockets are gone with them; these never finished a handshake.
    for (const socket of this.handshaking) socket.destroy();
    await Promise.all(this.servers.map(closeServer));
    this.servers.length = 0;
  }

  /** One server per address, all on the same port (the first one's, when `port` is 0); all or none. */
  private async bind(proto: WebProto, port: number, alternate: boolean): Promise<{ servers: Server[]; port: number }> {
    const { cert } = this.options;
    const { headersTimeoutMs, requestTimeoutMs, checkIntervalMs, handshakeTimeoutMs } = this.limits;
    const http = { maxHeaderSize: 8 * 1024, headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: checkIntervalMs };
    const servers: Server[] = [];
    try {
      for (const address of this.options.addresses) {
        const server =
          proto === 'http' ? createHttpServer(http) : createHttpsServer({ ...http, cert: cert.certPem, key: cert.keyPem, handshakeTimeout: handshakeTimeoutMs });
        this.configure(server, { proto, alternate });
        port = await listen(server, address, port);
        servers.push(server);
      }
    } catch (err) {
      await Promise.all(servers.map(closeServer));
      throw err;
    }
    return { servers, port };
  }

  private configure(server: Server, entrance: Entrance): void {
    server.keepAliveTimeout = 2_000;
    server.on('connection', (raw: Socket) => this.accepted(raw, entrance.proto));
    if (entrance.proto === 'https') {
      server.on('secureConnection', (socket: Socket) => {
        this.track(socket);
        this.handshakeEnded(socket, undefined);
      });
      // A TLS handshake that fails must not take the listener down; the ledger records why.
      server.on('tlsClientError', (err: Error, socket: Socket) => this.handshakeEnded(socket, err));
    }
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.malformed(err, socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res, entrance));
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head, entrance));
  }

  /** Every TCP connection goes into the ledger before anything is known about it, unless it is over a cap. */
  private accepted(raw: Socket, proto: WebProto): void {
    const peer = peerOf(raw);
    const over = this.overCap(peer.address);
    if (over !== undefined) {
      this.ledger.connectionAccepted(peer.address);
      this.ledger.strayRequest(peer, over, { port: raw.localPort ?? 0 });
      raw.destroy();
      return;
    }
    const record = this.ledger.tcpConnection(proto, peer, localOf(raw));
    const key = connectionKey(raw);
    this.opened(raw, key);
    if (proto === 'http') {
      this.track(raw);
      return;
    }
    this.handshaking.add(raw);
    if (record !== undefined) this.handshakeRecords.set(key, record);
    raw.once('close', () => {
      this.handshaking.delete(raw);
      this.handshakeRecords.delete(key);
      // A peer that hangs up mid-handshake is reported by Node without its addresses, if at all.
      if (record?.tls === 'pending') Object.assign(record, { tls: 'failed', tlsError: 'the connection closed before the handshake completed' });
    });
  }

  /** Which cap a new connection from `address` is over, as its stray reason, or undefined. */
  private overCap(address: string): string | undefined {
    const { maxConnections, maxConnectionsPerPeer } = this.limits;
    if (this.openTotal >= maxConnections) return CONNECTION_STRAY.overTotal;
    if (this.isNodeAddress(address)) return undefined;
    if (this.openStray >= Math.floor(maxConnections / 2)) return CONNECTION_STRAY.overTotal;
    if ((this.open.get(address) ?? 0) >= maxConnectionsPerPeer) return CONNECTION_STRAY.overPeer;
    return undefined;
  }

  private isNodeAddress(address: string): boolean {
    return this.options.sources?.isExpected(address) ?? true;
  }

  /** Counts an open connection until it closes; a stranger's that carried no request is a stray then. */
  private opened(raw: Socket, key: string): void {
    const peer = peerOf(raw);
    const stranger = !this.isNodeAddress(peer.address);
    this.open.set(peer.address, (this.open.get(peer.address) ?? 0) + 1);
    this.openTotal += 1;
    if (stranger) this.openStray += 1;
    raw.once('close', () => {
      const left = (this.open.get(peer.address) ?? 1) - 1;
      if (left === 0) this.open.delete(peer.address);
      else this.open.set(peer.address, left);
      this.openTotal -= 1;
      if (stranger) this.openStray -= 1;
      if (!this.carried.delete(key) && stranger && !this.isNodeAddress(peer.address)) {
        this.ledger.strayRequest(peer, CONNECTION_STRAY.empty, { port: raw.localPort ?? 0 });
      }
    });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private handshakeEnded(socket: Socket, err: Error | undefined): void {
    const record = this.handshakeRecords.get(connectionKey(socket));
    if (record === undefined) return;
    this.handshakeRecords.delete(connectionKey(socket));
    if (err === undefined) record.tls = 'completed';
    else Object.assign(record, { tls: 'failed', tlsError: tlsErrorText(err) });
  }

  /**
   * A request Node could not parse is stray like any other refused one, and gets an answer when
   * the socket still takes one. A reset, a request timeout, or a peer that ended mid-request
   * (HPE_INVALID_EOF_STATE: an agent cutting a stalled upload) is the transport, not a request; so is
   * anything on a connection whose request was already admitted: closed, nothing counted.
   */
  private malformed(err: NodeJS.ErrnoException, socket: Socket): void {
    const code = err.code ?? '';
    if (!code.startsWith('HPE_') || code === 'HPE_INVALID_EOF_STATE' || this.answering.has(socket)) {
      socket.destroy();
      return;
    }
    this.carried.add(connectionKey(socket));
    this.ledger.strayRequest(peerOf(socket), `malformed: ${code}`, { port: socket.localPort ?? 0 });
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const [status, body] = MALFORMED_ANSWER[code] ?? BAD_REQUEST;
    answerAndClose(socket, status, body);
  }

  private handle(req: IncomingMessage, res: ServerResponse, entrance: Entrance): void {
    const socket = req.socket;
    this.carried.add(connectionKey(socket));
    this.answering.add(socket);
    res.once('close', () => this.answering.delete(socket));
    if (isMediaPath(req.url) && !entrance.alternate) {
      const entry = admitMedia(req, entrance.proto, peerOf(socket), localOf(socket), this.options.tokens, this.ledger);
      if (entry === undefined) res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' }).end('forbidden\n');
      else answerMedia(req, res, entry);
      return;
    }
    const admitted = admit(req, entrance, false, this.options, this.ledger);
    if (admitted === undefined) {
      res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' }).end('forbidden\n');
      return;
    }
    answer(req, res, admitted, this.options.blobs);
  }

  /** The idle-hold channel: authenticated like a request before the WebSocket handshake. */
  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer, entrance: Entrance): void {
    // Node hands the socket over without an error listener; a reset must not take the listener down.
    socket.on('error', () => undefined);
    this.carried.add(connectionKey(socket));
    const admitted = admit(req, entrance, true, this.options, this.ledger);
    if (admitted === undefined) {
      answerAndClose(socket, '403 Forbidden', 'forbidden\n');
      return;
    }
    this.holds.open(req, socket, head, admitted);
  }
}

/** OpenSSL's message names its source files; its code and reason say what went wrong. */
function tlsErrorText(err: Error): string {
  const { code, reason } = err as Error & { code?: unknown; reason?: unknown };
  const text = typeof reason === 'string' && typeof code === 'string' ? `${code}: ${reason}` : typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  return text.slice(0, 200);
}
