/**
 * The run's callback listener: HTTP and HTTPS on each chosen controller address, living only for the
 * run, plus (best effort) the same on alternate ports. Every request must carry a node's token and
 * one of that node's planned probe ids for the right endpoint, protocol and port; anything else gets
 * 403 and is counted as stray, as is a request Node cannot parse (answered 400, or 431 for headers
 * over the limit). Every accepted request goes into the ledger with what went each way, and every
 * accepted TCP connection with how its TLS handshake ended. The idle-hold channel is a WebSocket
 * upgrade on the same servers, authenticated the same way.
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as NetServer, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  HOLD_MESSAGES,
  MAX_HOLD_MESSAGE_BYTES,
  MAX_STATUS_BODY_BYTES,
  PATHS,
  TOKEN_HEADER,
  type WebProto,
  type Endpoint,
  type PlannedProbe,
} from '../../src/protocol.js';
import { SetupError } from '../../src/errors.js';
import type { RunCertificate } from './cert.js';
import type { BlobStore } from './blobs.js';
import { Ledger, type LedgerConnection, type LedgerRequest } from './ledger.js';
import type { RunTokens } from './tokens.js';
import { hostPort } from '../../src/endpoint.js';

export interface ListenerOptions {
  addresses: readonly string[];
  httpPort: number;
  httpsPort: number;
  cert: RunCertificate;
  tokens: RunTokens;
  blobs: BlobStore;
  /**
   * Also listen here, best effort (the update manager's alternatives, 80 and 443): a port that
   * cannot be bound is reported by alternates(), not fatal.
   */
  alternatePorts?: { http: number; https: number };
  /** The planned probe with this id for this node, if there is one. */
  findProbe(node: string, probeId: string): PlannedProbe | undefined;
}

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

const CHUNK = 64 * 1024;

/** The server a request came in on: a probe is only accepted on the protocol and kind of port its plan names. */
interface Entrance {
  proto: WebProto;
  alternate: boolean;
}

interface Admitted {
  node: string;
  probe: PlannedProbe;
  peer: Endpoint;
  entry: LedgerRequest;
}

/** IPv4 peers on a dual-stack socket show up as ::ffff:a.b.c.d; report them as plain IPv4. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function peerOf(socket: Socket): Endpoint {
  return { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
}

function localOf(socket: Socket): Endpoint {
  return { address: plainAddress(socket.localAddress), port: socket.localPort ?? 0 };
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
  readonly ledger = new Ledger();
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
  /** Only the handshake and the framing: authentication happens before a socket is handed over. */
  private readonly holds = new WebSocketServer({ noServer: true, maxPayload: MAX_HOLD_MESSAGE_BYTES, perMessageDeflate: false });

  constructor(private readonly options: ListenerOptions) {}

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
    const servers: Server[] = [];
    try {
      for (const address of this.options.addresses) {
        const server =
          proto === 'http'
            ? createHttpServer({ maxHeaderSize: 8 * 1024 })
            : createHttpsServer({ cert: cert.certPem, key: cert.keyPem, maxHeaderSize: 8 * 1024 });
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
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
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

  /** Every TCP connection goes into the ledger before anything is known about it. */
  private accepted(raw: Socket, proto: WebProto): void {
    const record = this.ledger.tcpConnection(proto, peerOf(raw), localOf(raw));
    if (proto === 'http') {
      this.track(raw);
      return;
    }
    this.handshaking.add(raw);
    const key = connectionKey(raw);
    if (record !== undefined) this.handshakeRecords.set(key, record);
    raw.once('close', () => {
      this.handshaking.delete(raw);
      this.handshakeRecords.delete(key);
      // A peer that hangs up mid-handshake is reported by Node without its addresses, if at all.
      if (record?.tls === 'pending') Object.assign(record, { tls: 'failed', tlsError: 'the connection closed before the handshake completed' });
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
    this.ledger.strayRequest(peerOf(socket), `malformed: ${code}`);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const [status, body] = MALFORMED_ANSWER[code] ?? BAD_REQUEST;
    answerAndClose(socket, status, body);
  }

  /**
   * A request with a node's token and one of its planned probes, for this endpoint, protocol and
   * port, goes into the ledger; anything else is counted as stray and gets undefined.
   */
  private admit(req: IncomingMessage, entrance: Entrance, upgrade: boolean): Admitted | undefined {
    const peer = peerOf(req.socket);
    const listener = localOf(req.socket);
    const url = new URL(req.url ?? '/', 'http://listener');
    const tokenHeader = req.headers[TOKEN_HEADER];
    const node = this.options.tokens.nodeFor(typeof tokenHeader === 'string' ? tokenHeader : undefined);
    const probeId = url.searchParams.get('probe') ?? '';
    const probe = node === undefined ? undefined : this.options.findProbe(node, probeId);
    const expected = probe === undefined ? undefined : endpointFor(probe);

    let refusal: string | undefined;
    if (node === undefined) refusal = tokenHeader === undefined ? 'missing token' : 'unknown token';
    else if (probe === undefined) refusal = `unknown probe "${probeId.slice(0, 64)}"`;
    else if (probe.proto !== entrance.proto) refusal = `probe ${probe.id} planned over ${probe.proto}`;
    else if ((probe.alternate === true) !== entrance.alternate) refusal = `probe ${probe.id} planned for ${probe.alternate === true ? 'an alternate' : 'the main'} port`;
    else if (probe.alternate === true && probe.port !== listener.port) refusal = `probe ${probe.id} planned for port ${probe.port}`;
    else if (expected === undefined || expected.path !== url.pathname || expected.method !== req.method) refusal = `probe ${probe.id} does not match ${req.method} ${url.pathname}`;
    else if (upgrade && probe.kind !== 'hold') refusal = `probe ${probe.id} is not a hold: no WebSocket`;
    if (refusal !== undefined || node === undefined || probe === undefined) {
      this.ledger.strayRequest(peer, refusal ?? 'refused');
      return undefined;
    }

    this.ledger.connectionCarriedRequest(peer.address);
    const bytesPlanned = probe.kind === 'download' || probe.kind === 'upload' ? (probe.size ?? 0) : 0;
    const holdFields = probe.kind === 'hold' ? { holdOpened: false, holdPushSent: false, holdPingReceived: false } : {};
    const seq = probe.kind === 'status' ? statusSeq(url) : undefined;
    const entry = this.ledger.request({
      node,
      probe: probe.id,
      proto: entrance.proto,
      listener,
      peer,
      method: req.method ?? '',
      ...(seq === undefined ? {} : { seq }),
      bytesPlanned,
      ...holdFields,
    });
    return { node, probe, peer, entry };
  }

  private handle(req: IncomingMessage, res: ServerResponse, entrance: Entrance): void {
    const socket = req.socket;
    this.answering.add(socket);
    res.once('close', () => this.answering.delete(socket));
    const admitted = this.admit(req, entrance, false);
    if (admitted === undefined) {
      res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' }).end('forbidden\n');
      return;
    }
    const { node, probe, peer, entry } = admitted;
    res.on('finish', () => (entry.completed = true));
    res.on('close', () => (entry.aborted = !entry.completed));
    // Every kind counts what it receives: a stalled upload shows how far it got.
    req.on('data', (chunk: Buffer) => (entry.bytesReceived += chunk.length));

    switch (probe.kind) {
      case 'hello':
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ address: peer.address, port: peer.port, node }));
        return;
      case 'status':
        readBoundedBody(req, MAX_STATUS_BODY_BYTES, (tooLarge) => {
          if (tooLarge) res.writeHead(413, { connection: 'close' }).end();
          else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        });
        return;
      case 'download': {
        req.resume();
        const blob = this.options.blobs.get(entry.bytesPlanned);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(blob.bytes.length) });
        writeInChunks(res, blob.bytes, (n) => (entry.bytesWritten += n));
        return;
      }
      case 'upload':
        receiveUpload(req, res, probe, entry);
        return;
      case 'hold':
        // The token and probe got here but the Upgrade did not: something on the path strips it.
        req.resume();
        res.writeHead(426, { connection: 'close' }).end();
        return;
    }
  }

  /** The idle-hold channel: authenticated like a request before the WebSocket handshake. */
  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer, entrance: Entrance): void {
    // Node hands the socket over without an error listener; a reset must not take the listener down.
    socket.on('error', () => undefined);
    const admitted = this.admit(req, entrance, true);
    if (admitted === undefined) {
      answerAndClose(socket, '403 Forbidden', 'forbidden\n');
      return;
    }
    const { probe, entry } = admitted;
    socket.once('close', () => (entry.aborted = !entry.completed));
    this.holds.handleUpgrade(req, socket, head, (ws) => {
      entry.completed = true;
      hold(ws, probe.holdMs ?? 0, entry);
    });
  }
}

/**
 * The listener's side of HOLD_MESSAGES: answer "open", push after holdMs, answer "ping" with
 * "pong"; the ledger records each step, so a cut hold shows which direction still worked.
 */
function hold(ws: WebSocket, holdMs: number, entry: LedgerRequest): void {
  let pushTimer: NodeJS.Timeout | undefined;
  // The agent reports what the channel did; a broken one must not take the listener down.
  ws.on('error', () => undefined);
  ws.on('close', () => clearTimeout(pushTimer));
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? '' : data.toString();
    if (text === HOLD_MESSAGES.open && entry.holdOpened !== true) {
      entry.holdOpened = true;
      ws.send(HOLD_MESSAGES.open);
      pushTimer = setTimeout(() => ws.send(HOLD_MESSAGES.push, (err) => (entry.holdPushSent = !err)), holdMs);
    } else if (text === HOLD_MESSAGES.ping && entry.holdOpened === true) {
      entry.holdPingReceived = true;
      ws.send(HOLD_MESSAGES.pong);
    }
  });
}

/**
 * Counts (in handle) and hashes the upload as it streams, then answers whether it is the planned
 * content: 200 or 422 with {"bytes":N,"sha256ok":...}, or 413 as soon as it is longer than planned.
 */
function receiveUpload(req: IncomingMessage, res: ServerResponse, probe: PlannedProbe, entry: LedgerRequest): void {
  const size = probe.size ?? 0;
  // "connection: close": Node closes the connection once the answer is out, whatever is still coming.
  const tooLarge = (): void => {
    res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ bytes: entry.bytesReceived, sha256ok: false }));
  };
  // Node ends a body at its Content-Length, so a longer one announces itself there; a chunked one
  // is caught as it comes.
  if (Number(req.headers['content-length'] ?? 0) > size) {
    tooLarge();
    return;
  }
  const hash = createHash('sha256');
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    if (entry.bytesReceived > size) {
      refused = true;
      tooLarge();
      return;
    }
    hash.update(chunk);
  });
  req.on('end', () => {
    if (refused) return;
    const sha256ok = entry.bytesReceived === size && hash.digest('hex') === (probe.sha256 ?? '').toLowerCase();
    res.writeHead(sha256ok ? 200 : 422, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes: entry.bytesReceived, sha256ok }));
  });
}

/** Answers on a socket Node's HTTP layer no longer drives (a refused upgrade, an unparsable request), then closes it. */
function answerAndClose(socket: Socket, status: string, body: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** OpenSSL's message names its source files; its code and reason say what went wrong. */
function tlsErrorText(err: Error): string {
  const { code, reason } = err as Error & { code?: unknown; reason?: unknown };
  const text = typeof reason === 'string' && typeof code === 'string' ? `${code}: ${reason}` : typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  return text.slice(0, 200);
}

/** A status post's number (?seq=), from 1; anything else is no number. */
function statusSeq(url: URL): number | undefined {
  const seq = url.searchParams.get('seq') ?? '';
  return /^[1-9][0-9]{0,5}$/.test(seq) ? Number(seq) : undefined;
}

function endpointFor(probe: PlannedProbe): { path: string; method: string } | undefined {
  switch (probe.kind) {
    case 'hello':
      return { path: PATHS.hello, method: 'GET' };
    case 'download':
      return { path: PATHS.blob, method: 'GET' };
    case 'status':
      return { path: PATHS.status, method: 'POST' };
    case 'upload':
      return { path: PATHS.upload, method: 'POST' };
    case 'hold':
      return { path: PATHS.hold, method: 'GET' };
    case 'ftp':
      return undefined;
  }
}

/** Writes with backpressure, counting what was handed to the kernel, so the ledger shows where a stalled transfer stood. */
function writeInChunks(res: ServerResponse, bytes: Buffer, onWritten: (n: number) => void): void {
  let offset = 0;
  const pump = (): void => {
    while (offset < bytes.length) {
      const chunk = bytes.subarray(offset, offset + CHUNK);
      offset += chunk.length;
      const more = res.write(chunk, () => onWritten(chunk.length));
      if (!more) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.once('close', () => res.off('drain', pump));
  pump();
}

function readBoundedBody(req: IncomingMessage, limit: number, done: (tooLarge: boolean) => void): void {
  let size = 0;
  let finished = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit && !finished) {
      finished = true;
      done(true);
      req.destroy();
    }
  });
  req.on('end', () => {
    if (!finished) {
      finished = true;
      done(false);
    }
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Binds one server; the error names the address, the port and, given `what`, what it was for. */
export function listen(server: NetServer, address: string, port: number, what?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'the port is in use by another process'
          : err.code === 'EADDRNOTAVAIL'
            ? 'that address is not on this host'
            : err.code === 'EACCES'
              ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)'
              : err.message;
      const where = hostPort(address, port);
      reject(new SetupError(`cannot listen${what === undefined ? '' : ` for ${what}`} on ${where}: ${why}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : port);
    });
  });
}
