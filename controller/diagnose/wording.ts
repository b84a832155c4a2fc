/**
 * The words the summaries share: probe names, durations, throughput and what it means for the
 * firmware bundle, endpoints and what the listener saw of a connection. Sizes are worded by
 * src/size-label.ts (the remedies and the CLI word them too).
 */
import type { ThroughputEvidence } from '../../src/evidence.js';
import { hostPort } from '../../src/endpoint.js';
import type { Endpoint, PlannedProbe } from '../../src/protocol.js';
import { sizeLabel } from '../../src/size-label.js';
import type { LedgerConnection } from '../wire/ledger.js';
import type { Thresholds } from './inputs.js';

const BYTES_PER_MBIT = 1_000_000 / 8;

function mbps(bytes: number, ms: number): number {
  return ms <= 0 ? Infinity : bytes / BYTES_PER_MBIT / (ms / 1000);
}

export function durationLabel(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Throughput, and what it means for the firmware bundle the operator will push: the evidence, and its words. */
export function throughput(bytes: number, ms: number, thresholds: Thresholds): { rate: ThroughputEvidence; text: string } {
  const rate = mbps(bytes, ms);
  const seconds = thresholds.firmwareBytes / (rate * BYTES_PER_MBIT);
  return {
    rate: { throughputMbps: Math.round(rate * 10) / 10, firmwareBytes: thresholds.firmwareBytes, firmwareEstimateSec: Math.round(seconds) },
    text: `a ${sizeLabel(thresholds.firmwareBytes)} firmware bundle would take about ${durationLabel(seconds)}`,
  };
}

/** A probe as a summary starts with it: "download of 64 KiB", "idle hold", ... */
export function describe(probe: PlannedProbe): string {
  switch (probe.kind) {
    case 'download':
      return `download of ${sizeLabel(probe.size ?? 0)}`;
    case 'upload':
      return `upload of ${sizeLabel(probe.size ?? 0)}`;
    case 'hold':
      return 'idle hold';
    case 'ftp':
      return `FTP download of ${sizeLabel(probe.size ?? 0)}`;
    case 'hello':
    case 'status':
      return probe.kind;
  }
}

export function endpointLabel({ address, port }: Endpoint): string {
  return hostPort(address, port);
}

/** An FTP probe's passive range: "63006-63010", one port alone, or "?" when the plan has none. */
export function rangeLabel(probe: PlannedProbe): string {
  const r = probe.dataPorts;
  return r === undefined ? '?' : r.first === r.last ? String(r.first) : `${r.first}-${r.last}`;
}

/** The connection as the listener saw it, as the end of a summary ('; the listener accepted ...'), or ''. */
export function connectionNote(connection: LedgerConnection | null | undefined, local: Endpoint | undefined): string {
  if (connection === undefined) return '';
  if (connection === null) return local === undefined ? '' : `; the listener recorded no connection from the agent's end ${endpointLabel(local)}`;
  return `; the listener accepted the connection from ${endpointLabel(connection.peer)}`;
}

/** The listener's side of a failed TLS handshake, for its summary. */
export function tlsNote(connection: LedgerConnection | null | undefined, local: Endpoint | undefined): string {
  if (connection === null || connection === undefined || connection.tls === undefined) return connectionNote(connection, local);
  const from = endpointLabel(connection.peer);
  switch (connection.tls) {
    case 'failed':
      return `; the listener accepted the connection from ${from} and saw the handshake fail (${connection.tlsError ?? 'no detail'})`;
    case 'completed':
      return `; the listener accepted the connection from ${from} and completed its side of the handshake`;
    case 'pending':
      return `; the listener accepted the connection from ${from}, its handshake still unfinished`;
  }
}
