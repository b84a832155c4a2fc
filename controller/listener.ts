/**
 * The run's callback listener: HTTP and HTTPS on each chosen controller address, living only for the
 * run. Every request must carry a node's token and one of that node's planned probe ids for the
 * right endpoint and protocol; anything else gets 403 and is counted as stray. Every accepted
 * request goes into the ledger with what was written back.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { MAX_STATUS_BODY_BYTES, PATHS, TOKEN_HEADER, type CallbackProto, type Endpoint, type PlannedProbe } from '../src/protocol.js';
import { SetupError } from '../src/errors.js';
import type { RunCertificate } from './cert.js';
import type { BlobStore } from './blobs.js';
import { Ledger } from './ledger.js';
import type { RunTokens } from './tokens.js';

export interface ListenerOptions {
  addresses: readonly string[];
  httpPort: number;
  httpsPort: number;
  cert: RunCertificate;
  tokens: RunTokens;
  blobs: BlobStore;
  /** The planned probe with this id for this node, if there is one. */
  findProbe(node: string, probeId: string): PlannedProbe | undefined;
}

export interface BoundListener {
  address: string;
  port: number;
  proto: CallbackProto;
}

const CHUNK = 64 * 1024;

/** IPv4 peers on a dual-stack socket show up as ::ffff:a.b.c.d; report them as plain IPv4. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class CallbackListener {
  readonly ledger = new Ledger();
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly bound: BoundListener[] = [];

  constructor(private readonly options: ListenerOptions) {}

  get endpoints(): readonly BoundListener[] {
    return this.bound;
  }

  portFor(proto: CallbackProto): number {
    const b = this.bound.find((e) => e.proto === proto);
    if (b === undefined) throw new SetupError(`no ${proto} listener is bound`);
    return b.port;
  }

  async start(): Promise<void> {
    const { cert } = this.options;
    try {
      for (const proto of ['http', 'https'] as const) {
        let port = proto === 'http' ? this.options.httpPort : this.options.httpsPort;
        for (const address of this.options.addresses) {
          const server =
            proto === 'http'
              ? createHttpServer({ maxHeaderSize: 8 * 1024 })
              : createHttpsServer({ cert: cert.certPem, key: cert.keyPem, maxHeaderSize: 8 * 1024 });
          this.configure(server, proto);
          port = await listen(server, address, port);
          this.servers.push(server);
          this.bound.push({ address, port, proto });
        }
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.length = 0;
  }

  private configure(server: Server, proto: CallbackProto): void {
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    server.keepAliveTimeout = 2_000;
    const connectionEvent = proto === 'https' ? 'secureConnection' : 'connection';
    server.on(connectionEvent, (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.ledger.connectionAccepted(plainAddress(socket.remoteAddress));
    });
    // A TLS handshake that fails must not take the listener down; the agent reports it.
    server.on('tlsClientError', () => undefined);
    server.on('clientError', (_err, socket: Socket) => socket.destroy());
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res, proto));
  }

  private handle(req: IncomingMessage, res: ServerResponse, proto: CallbackProto): void {
    const peer: Endpoint = { address: plainAddress(req.socket.remoteAddress), port: req.socket.remotePort ?? 0 };
    const listener: Endpoint = { address: plainAddress(req.socket.localAddress), port: req.socket.localPort ?? 0 };
    const url = new URL(req.url ?? '/', 'http://listener');
    const tokenHeader = req.headers[TOKEN_HEADER];
    const node = this.options.tokens.nodeFor(typeof tokenHeader === 'string' ? tokenHeader : undefined);
    const probeId = url.searchParams.get('probe') ?? '';
    const probe = node === undefined ? undefined : this.options.findProbe(node, probeId);
    const expected = probe === undefined ? undefined : endpointFor(probe);

    let refusal: string | undefined;
    if (node === undefined) refusal = tokenHeader === undefined ? 'missing token' : 'unknown token';
    else if (probe === undefined) refusal = `unknown probe "${probeId.slice(0, 64)}"`;
    else if (probe.proto !== proto) refusal = `probe ${probe.id} planned over ${probe.proto}`;
    else if (expected?.path !== url.pathname || expected.method !== req.method) refusal = `probe ${probe.id} does not match ${req.method} ${url.pathname}`;
    if (refusal !== undefined || node === undefined || probe === undefined) {
      this.ledger.strayRequest(peer, refusal ?? 'refused');
      res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' }).end('forbidden\n');
      return;
    }

    this.ledger.connectionCarriedRequest(peer.address);
    const bytesPlanned = probe.kind === 'download' ? (probe.size ?? 0) : 0;
    const entry = this.ledger.request({ node, probe: probe.id, proto, listener, peer, method: req.method ?? '', bytesPlanned });
    res.on('finish', () => (entry.completed = true));
    res.on('close', () => (entry.aborted = !entry.completed));

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
        const blob = this.options.blobs.get(bytesPlanned);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(blob.bytes.length) });
        writeInChunks(res, blob.bytes, (n) => (entry.bytesWritten += n));
        return;
      }
    }
  }
}

function endpointFor(probe: PlannedProbe): { path: string; method: string } {
  switch (probe.kind) {
    case 'hello':
      return { path: PATHS.hello, method: 'GET' };
    case 'download':
      return { path: PATHS.blob, method: 'GET' };
    case 'status':
      return { path: PATHS.status, method: 'POST' };
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

function listen(server: Server, address: string, port: number): Promise<number> {
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
      reject(new SetupError(`cannot listen on ${address.includes(':') ? `[${address}]` : address}:${port}: ${why}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : port);
    });
  });
}
