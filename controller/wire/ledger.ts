/**
 * The listener's ledger: what the controller side saw, per node and probe id. Classification reads it
 * to tell "nothing arrived" (blocked) from "arrived, but the answer was lost" (return-path-lost).
 * Besides the requests it keeps every TCP connection the callback listener accepted, authenticated
 * or not: a connection whose TLS handshake failed carries no request, and is only found again through
 * the agent's end of it (the local address and port the agent reports for the probe).
 */
import type { AgentEvent, CallbackProto, Endpoint, WebProto } from '../../src/protocol.js';

export interface LedgerRequest {
  node: string;
  probe: string;
  proto: CallbackProto;
  /** The listener address and port the request came in on. */
  listener: Endpoint;
  /** The source the controller saw. */
  peer: Endpoint;
  method: string;
  /** status only: which post of the probe this is (the request's seq), so each post is judged by its own entry. */
  seq?: number;
  /** ms since the run started. */
  at: number;
  /** Body bytes planned: what a download's response carries, or an upload's request. */
  bytesPlanned: number;
  /** Response body bytes handed to the kernel (downloads). */
  bytesWritten: number;
  /** Request body bytes received so far, so a stalled upload shows how far it got. */
  bytesReceived: number;
  /** The whole response was handed to the kernel ('finish'); for a hold, the switch to WebSocket. */
  completed: boolean;
  /** The connection closed before the response completed. */
  aborted: boolean;
  /** hold only: the agent's "open" arrived and was answered. */
  holdOpened?: boolean;
  /** hold only: the listener's push after the quiet time was handed to the kernel. */
  holdPushSent?: boolean;
  /** hold only: the agent's ping after the quiet time arrived (and was answered with pong). */
  holdPingReceived?: boolean;
  /**
   * ftp only (the entry starts at the SIZE that names the probe, after a good login; `completed` is
   * the 226 after the whole file was handed to the kernel).
   */
  ftp?: LedgerFtp;
}

export interface LedgerFtp {
  /** The port the PASV answer offered. */
  pasvPort?: number;
  /** Where the data connection came from, once one was accepted for this probe. */
  dataPeer?: Endpoint;
}

export interface StrayRequest {
  peer: Endpoint;
  reason: string;
  at: number;
}

/** One TCP connection the callback listener accepted, whatever came over it. */
export interface LedgerConnection {
  proto: WebProto;
  /** The source the controller saw. */
  peer: Endpoint;
  /** The listener address and port it came in on. */
  listener: Endpoint;
  /** ms since the run started. */
  at: number;
  /** https only: 'pending' until the TLS handshake completes or fails (tlsError says how). */
  tls?: 'pending' | 'completed' | 'failed';
  tlsError?: string;
}

/** The connections some agent endpoints used, as far as the ledger kept them. */
export interface ConnectionView {
  records: LedgerConnection[];
  /** False once the ledger had to drop connections: then a missing one proves nothing. */
  complete: boolean;
}

export interface PeerConnections {
  accepted: number;
  /** Connections that carried at least one authenticated request. */
  withRequest: number;
}

export interface LedgerSnapshot {
  requests: LedgerRequest[];
  peers: Record<string, PeerConnections>;
  strayCount: number;
  stray: StrayRequest[];
  /** Connections recorded, and those accepted after the record was full (counted, not kept). */
  connections: number;
  connectionsDropped: number;
}

const MAX_STRAY_KEPT = 100;
const MAX_REQUESTS_KEPT = 100_000;
const MAX_CONNECTIONS_KEPT = 100_000;

const endpointKey = (e: Endpoint): string => `${e.address}|${e.port}`;

export class Ledger {
  private readonly requests: LedgerRequest[] = [];
  private readonly peers = new Map<string, PeerConnections>();
  private readonly stray: StrayRequest[] = [];
  private strayCount = 0;
  /** By the peer's endpoint, oldest first: an endpoint is only reused after its connection ended. */
  private readonly connections = new Map<string, LedgerConnection[]>();
  private connectionCount = 0;
  private connectionsDropped = 0;
  private readonly started = Date.now();
  /** Waiting for a request (the Redfish prober waits for the BMC's); each is told of every request recorded. */
  private readonly requestWatchers = new Set<(entry: LedgerRequest) => void>();

  now(): number {
    return Date.now() - this.started;
  }

  connectionAccepted(peerAddress: string): void {
    this.peer(peerAddress).accepted += 1;
  }

  /**
   * Records a TCP connection the callback listener accepted (and counts it for its peer); returns
   * the live record, which the listener updates as the TLS handshake ends, or undefined once full.
   */
  tcpConnection(proto: WebProto, peer: Endpoint, listener: Endpoint): LedgerConnection | undefined {
    this.connectionAccepted(peer.address);
    if (this.connectionCount >= MAX_CONNECTIONS_KEPT) {
      this.connectionsDropped += 1;
      return undefined;
    }
    const record: LedgerConnection = { proto, peer, listener, at: this.now(), ...(proto === 'https' ? { tls: 'pending' as const } : {}) };
    const key = endpointKey(peer);
    const same = this.connections.get(key);
    if (same === undefined) this.connections.set(key, [record]);
    else same.push(record);
    this.connectionCount += 1;
    return record;
  }

  /** The connections that came from the local endpoints the agent reported for its probes. */
  connectionsFor(events: readonly AgentEvent[]): ConnectionView {
    const records = events.flatMap((e) => (e.t === 'probe' && e.local !== undefined ? (this.connections.get(endpointKey(e.local)) ?? []) : []));
    return { records: [...new Set(records)].map((r) => ({ ...r })), complete: this.connectionsDropped === 0 };
  }

  connectionCarriedRequest(peerAddress: string): void {
    this.peer(peerAddress).withRequest += 1;
  }

  /** Records a request and returns the live entry, which the listener updates as it answers. */
  request(entry: Omit<LedgerRequest, 'at' | 'bytesWritten' | 'bytesReceived' | 'completed' | 'aborted'>): LedgerRequest {
    const live: LedgerRequest = { ...entry, at: this.now(), bytesWritten: 0, bytesReceived: 0, completed: false, aborted: false };
    if (this.requests.length < MAX_REQUESTS_KEPT) this.requests.push(live);
    for (const watcher of this.requestWatchers) watcher(live);
    return live;
  }

  /** Calls `watcher` with every request recorded from now on; returns the function that stops it. */
  onRequest(watcher: (entry: LedgerRequest) => void): () => void {
    this.requestWatchers.add(watcher);
    return () => this.requestWatchers.delete(watcher);
  }

  /** The connections from this address since `since` (ms of the run), as far as the ledger kept them. */
  connectionsFrom(address: string, since: number): LedgerConnection[] {
    return [...this.connections.values()].flat().filter((c) => c.peer.address === address && c.at >= since).map((c) => ({ ...c }));
  }

  strayRequest(peer: Endpoint, reason: string): void {
    this.strayCount += 1;
    if (this.stray.length < MAX_STRAY_KEPT) this.stray.push({ peer, reason, at: this.now() });
  }

  forNode(node: string): LedgerRequest[] {
    return this.requests.filter((r) => r.node === node).map((r) => ({ ...r }));
  }

  snapshot(): LedgerSnapshot {
    return {
      requests: this.requests.map((r) => ({ ...r })),
      peers: Object.fromEntries([...this.peers].map(([k, v]) => [k, { ...v }])),
      strayCount: this.strayCount,
      stray: this.stray.map((s) => ({ ...s })),
      connections: this.connectionCount,
      connectionsDropped: this.connectionsDropped,
    };
  }

  private peer(address: string): PeerConnections {
    let p = this.peers.get(address);
    if (p === undefined) {
      p = { accepted: 0, withRequest: 0 };
      this.peers.set(address, p);
    }
    return p;
  }
}
