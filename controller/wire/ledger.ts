/**
 * The listener's ledger: what the controller side saw, per node and probe id. Classification reads it
 * to tell "nothing arrived" (blocked) from "arrived, but the answer was lost" (return-path-lost).
 * Besides the requests it keeps every TCP connection the callback listener accepted, authenticated
 * or not: a connection whose TLS handshake failed carries no request, and is only found again through
 * the agent's end of it (the local address and port the agent reports for the probe). Connections
 * from addresses no node calls from are only sampled, and strays only counted by source and reason
 * (stray-book.ts): a flood cannot push the nodes' evidence out or grow memory without bound.
 */
import type { AgentEvent, CallbackProto, Endpoint, WebProto } from '../../src/protocol.js';
import type { StraySummary } from '../../src/report.js';
import { StrayBook, type StrayRequest } from './stray-book.js';

export type { StrayRequest } from './stray-book.js';

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
  /** download and upload: 2 for the agent's retry of a stalled transfer (?attempt=2); absent for the first attempt. */
  attempt?: 2;
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
  /** The first strays, whole (a sample); straySummary counts them all. */
  stray: StrayRequest[];
  straySummary: StraySummary[];
  /** Connections recorded, and those accepted after their share of the record was full (counted, not kept). */
  connections: number;
  connectionsDropped: number;
}

const MAX_REQUESTS_KEPT = 100_000;
/** Connections from the addresses nodes call from: all of a fleet's, however many strays there are. */
const MAX_CONNECTIONS_KEPT = 100_000;
/** Connections from any other source: a sample per source and in all, so a flood cannot crowd out the nodes' evidence. */
const MAX_STRAY_CONNECTIONS_KEPT = 1024;
const MAX_STRAY_CONNECTIONS_PER_PEER = 64;
/** Sources listed one by one in `peers` (the nodes' are always listed); the rest are added up under OTHER_PEERS. */
const MAX_PEERS_LISTED = 512;
export const OTHER_PEERS = 'other sources';

const endpointKey = (e: Endpoint): string => `${e.address}|${e.port}`;

export class Ledger {
  private readonly requests: LedgerRequest[] = [];
  private readonly peers = new Map<string, PeerConnections>();
  private readonly strays = new StrayBook();
  /** By the peer's endpoint, oldest first: an endpoint is only reused after its connection ended. */
  private readonly connections = new Map<string, LedgerConnection[]>();
  private connectionCount = 0;
  private strayConnectionCount = 0;
  /** Stray connections kept per source: at most MAX_STRAY_CONNECTIONS_KEPT sources. */
  private readonly strayConnectionsByPeer = new Map<string, number>();
  /** Sources a stray connection was dropped from (bounded; past that, only that some were). */
  private readonly strayDroppedFrom = new Set<string>();
  private strayDroppedUntracked = false;
  private connectionsDropped = 0;
  /** Whether a connection from an address nodes call from was dropped: then a missing one proves nothing. */
  private expectedDropped = false;
  private readonly started = Date.now();
  /** Waiting for a request (the Redfish prober waits for the BMC's); each is told of every request recorded. */
  private readonly requestWatchers = new Set<(entry: LedgerRequest) => void>();

  /**
   * `isExpected`: whether an address is one some node calls from (controller/wire/source-binding.ts);
   * without it every source is, as in a ledger of its own in a test.
   */
  constructor(private readonly isExpected: (address: string) => boolean = () => true) {}

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
    if (!this.keep(peer.address)) {
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
    return { records: [...new Set(records)].map((r) => ({ ...r })), complete: !this.expectedDropped && !this.strayDroppedFromExpected() };
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

  strayRequest(peer: Endpoint, reason: string, more: Omit<StrayRequest, 'peer' | 'reason' | 'at'> = {}): void {
    this.strays.add({ peer, reason, at: this.now(), ...more });
  }

  forNode(node: string): LedgerRequest[] {
    return this.requests.filter((r) => r.node === node).map((r) => ({ ...r }));
  }

  snapshot(): LedgerSnapshot {
    return {
      requests: this.requests.map((r) => ({ ...r })),
      peers: Object.fromEntries([...this.peers].map(([k, v]) => [k, { ...v }])),
      strayCount: this.strays.total,
      stray: this.strays.strays(),
      straySummary: this.strays.summary(),
      connections: this.connectionCount,
      connectionsDropped: this.connectionsDropped,
    };
  }

  /** Whether there is room to keep a connection from this address (counted either way). */
  private keep(address: string): boolean {
    if (this.isExpected(address)) {
      if (this.connectionCount - this.strayConnectionCount < MAX_CONNECTIONS_KEPT) return true;
      this.expectedDropped = true;
      return false;
    }
    const kept = this.strayConnectionsByPeer.get(address);
    if (kept === undefined && this.strayConnectionCount >= MAX_STRAY_CONNECTIONS_KEPT) {
      if (this.strayDroppedFrom.size < MAX_STRAY_CONNECTIONS_KEPT) this.strayDroppedFrom.add(address);
      else this.strayDroppedUntracked = true;
      return false;
    }
    if ((kept ?? 0) >= MAX_STRAY_CONNECTIONS_PER_PEER || this.strayConnectionCount >= MAX_STRAY_CONNECTIONS_KEPT) {
      this.strayDroppedFrom.add(address);
      return false;
    }
    this.strayConnectionsByPeer.set(address, (kept ?? 0) + 1);
    this.strayConnectionCount += 1;
    return true;
  }

  /**
   * A NAT's address is no node's until a node's token arrives from it, so its first connections
   * were counted as a stray source's: a drop from it matters once it is a node's.
   */
  private strayDroppedFromExpected(): boolean {
    if (this.strayDroppedUntracked) return true;
    for (const address of this.strayDroppedFrom) if (this.isExpected(address)) return true;
    return false;
  }

  private peer(address: string): PeerConnections {
    let p = this.peers.get(address);
    if (p === undefined) {
      const key = this.peers.size < MAX_PEERS_LISTED || this.isExpected(address) ? address : OTHER_PEERS;
      p = this.peers.get(key) ?? { accepted: 0, withRequest: 0 };
      this.peers.set(key, p);
    }
    return p;
  }
}
