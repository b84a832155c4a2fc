/**
 * The listener's ledger: what the controller side saw, per node and probe id. Classification reads it
 * to tell "nothing arrived" (blocked) from "arrived, but the answer was lost" (return-path-lost).
 */
import type { CallbackProto, Endpoint } from '../src/protocol.js';

export interface LedgerRequest {
  node: string;
  probe: string;
  proto: CallbackProto;
  /** The listener address and port the request came in on. */
  listener: Endpoint;
  /** The source the controller saw. */
  peer: Endpoint;
  method: string;
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
}

const MAX_STRAY_KEPT = 100;
const MAX_REQUESTS_KEPT = 100_000;

export class Ledger {
  private readonly requests: LedgerRequest[] = [];
  private readonly peers = new Map<string, PeerConnections>();
  private readonly stray: StrayRequest[] = [];
  private strayCount = 0;
  private readonly started = Date.now();

  now(): number {
    return Date.now() - this.started;
  }

  connectionAccepted(peerAddress: string): void {
    this.peer(peerAddress).accepted += 1;
  }

  connectionCarriedRequest(peerAddress: string): void {
    this.peer(peerAddress).withRequest += 1;
  }

  /** Records a request and returns the live entry, which the listener updates as it answers. */
  request(entry: Omit<LedgerRequest, 'at' | 'bytesWritten' | 'bytesReceived' | 'completed' | 'aborted'>): LedgerRequest {
    const live: LedgerRequest = { ...entry, at: this.now(), bytesWritten: 0, bytesReceived: 0, completed: false, aborted: false };
    if (this.requests.length < MAX_REQUESTS_KEPT) this.requests.push(live);
    return live;
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
