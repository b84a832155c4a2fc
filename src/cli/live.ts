/**
 * `twoway run --live [ADDR:PORT]`: a read-only web view of the run while it goes on. The server listens
 * on loopback unless told otherwise; the page's URL carries a random token (no token, or a wrong one:
 * 403 and no page), and so does its WebSocket. Browsers get a snapshot, then one message per finished
 * node (src/render/live-state.ts), fed from the run's progress events (the RunObserver the run already
 * calls). Bounded: a few browsers at once, small messages, a slow browser is dropped rather than
 * buffered for; anything a browser sends closes its connection. The server goes when the run ends.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebSocket } from 'ws';
import { hostPort } from '../endpoint.js';
import { InputError } from '../errors.js';
import type { NodeReport, Report } from '../report.js';
import { livePage } from '../render/live-page.js';
import { emptyState, finished, nodeFinished, snapshotMessage, started, type LiveMessage, type LiveState } from '../render/live-state.js';

/** Browsers at once. */
export const LIVE_MAX_CLIENTS = 8;
/** A browser sends nothing; a frame larger than this is refused by the WebSocket layer itself. */
const MAX_INBOUND_BYTES = 128;
/** A browser whose unsent data passes this is too slow to follow the run: it is dropped. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface LiveServer {
  /** The page's address, token included: the only way in. */
  url: string;
  started(info: { nodes: number }): void;
  nodeFinished(node: NodeReport, done: number, total: number): void;
  /** Tells the browsers the run ended, then closes every connection and the server. */
  finished(report: Report): Promise<void>;
  close(): Promise<void>;
}

function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startLiveServer(address: { host: string; port: number }, title: string): Promise<LiveServer> {
  // Loaded here, not with the module: the process that only checks --live's address never serves it.
  const { WebSocketServer } = await import('ws');
  const token = randomBytes(18).toString('base64url');
  const nonce = randomBytes(16).toString('base64');
  const base = `/live/${token}`;
  let state: LiveState = emptyState();
  let hostHeader = '';
  let page = '';

  /** The path is /live/TOKEN (the page) or /live/TOKEN/ws; the Host header must name this server (no DNS rebinding). */
  const route = (req: IncomingMessage): 'page' | 'ws' | undefined => {
    if (req.headers.host !== hostHeader) return undefined;
    const m = /^\/live\/([A-Za-z0-9_-]{1,64})(\/ws)?\/?$/.exec((req.url ?? '').split('?')[0]!);
    if (m === null || !tokenMatches(m[1]!, token)) return undefined;
    return m[2] === undefined ? 'page' : 'ws';
  };

  const server: Server = createServer((req, res) => {
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
    if (route(req) !== 'page') {
      res.writeHead(403, { ...headers, 'content-type': 'text/plain' }).end('forbidden\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('read-only\n');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'x-frame-options': 'DENY' }).end(req.method === 'HEAD' ? undefined : page);
  });
  server.maxConnections = LIVE_MAX_CLIENTS * 4;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_INBOUND_BYTES, clientTracking: true });
  server.on('upgrade', (req, socket, head) => {
    if (route(req) !== 'ws' || wss.clients.size >= LIVE_MAX_CLIENTS) {
      socket.end(`HTTP/1.1 ${route(req) !== 'ws' ? '403 Forbidden' : '503 Service Unavailable'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Read-only: whatever a browser sends ends its connection.
      ws.on('message', () => ws.close(1008, 'read-only'));
      ws.on('error', () => ws.terminate());
      send(ws, snapshotMessage(state));
      if (state.finished) ws.close(1000, 'run finished');
    });
  });

  const send = (ws: WebSocket, message: LiveMessage): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
  };
  const broadcast = (message: LiveMessage): void => {
    for (const ws of wss.clients) send(ws, message);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new InputError(`cannot listen on ${hostPort(address.host, address.port)}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { field: '--live' }, { cause: err })));
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  hostHeader = hostPort(bound.address, bound.port);
  page = livePage({ nonce, wsOrigin: `ws://${hostHeader}`, title });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.close(1001, 'run ended');
      // Give the closing handshakes a moment, then cut whatever is left.
      const timer = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
        server.closeAllConnections();
      }, 1000);
      timer.unref();
      wss.close();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return {
    url: `http://${hostHeader}${base}`,
    started: (info) => {
      state = started(state, info.nodes);
      broadcast(snapshotMessage(state));
    },
    nodeFinished: (node, done, total) => {
      const next = nodeFinished(state, node, done, total);
      state = next.state;
      broadcast(next.message);
    },
    finished: async (report) => {
      const next = finished(state, report);
      state = next.state;
      broadcast(next.message);
      await close();
    },
    close,
  };
}
