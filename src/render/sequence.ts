/**
 * A failing path as a sequence of packets between node, path and controller, read from its evidence:
 * who sent what, how far it got, and the step where traffic stops and on which side. Pure; the HTML
 * report draws it (src/render/html-svg-sequence.ts) and writes it out as a list. Evidence from
 * reports written before evidence carried a kind (`legacy`) is read by the same field names.
 */
import type { ForwardPathEvidence, FtpFields, IdleCutEvidence, PathEvidence, SourceMismatchEvidence } from '../evidence.js';
import type { PathReport } from '../report.js';
import { sizeLabel } from '../size-label.js';

export type End = 'node' | 'controller';
export type Lane = End | 'path';

export interface SequenceStep {
  from: End;
  label: string;
  /** How far it got: the other end, only into the path (dropped, or answered by a middlebox), or not out of the sender. */
  reached: 'other' | 'path' | 'none';
  /** What the receiving side saw (or the path did), said with the step. */
  note?: string;
  /** Traffic stops at this step. */
  stop?: boolean;
}

export interface Sequence {
  initiator: End;
  steps: SequenceStep[];
  /** Where traffic stops and why, in words; undefined when it flows (slow, say). */
  stop?: { side: Lane; text: string };
}

/** The facts the drawing needs, whatever variant carried them. */
interface WireFacts {
  probe?: string;
  /** The responder saw the SYN (SYN_RECV sighting) or accepted the connection. */
  synSeen: boolean;
  requestSeen: boolean;
  responderSent?: number;
  stallAt?: number;
  fingerprint?: string;
  icmpReject: boolean;
  largestPassing?: number;
  throughputMbps?: number;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Probe, size-boundary, measured, FTP and legacy evidence share field names; read them loosely, once. */
function factsOf(e: PathEvidence): WireFacts {
  const f = e as unknown as Record<string, unknown>;
  const conn = f.listenerConnection as { accepted?: boolean } | undefined;
  const error = f.error as { code?: unknown } | undefined;
  const requestSeen = f.ledgerSawRequest === true || f.ledgerSawLogin === true;
  return {
    probe: str(f.probe),
    synSeen: f.controllerHalfOpen !== undefined || f.nodeHalfOpen !== undefined || conn?.accepted === true || requestSeen,
    requestSeen,
    responderSent: num(f.ledgerBytesWritten) ?? num(f.listenerBytesWritten),
    stallAt: num(f.stallAt),
    fingerprint: str(f.fingerprint),
    icmpReject: f.icmpReject === true || str(error?.code) === 'EHOSTUNREACH' || str(f.code) === 'EHOSTUNREACH',
    largestPassing: num(f.largestPassingDownload) ?? num(f.largestPassing),
    throughputMbps: num(f.throughputMbps),
  };
}

const other = (end: End): End => (end === 'node' ? 'controller' : 'node');
const bytes = (n: number): string => `${n} byte${n === 1 ? '' : 's'}`;

/** The TCP handshake that worked, then what the initiator sent. */
function connected(by: End): SequenceStep[] {
  return [
    { from: by, label: 'SYN', reached: 'other' },
    { from: other(by), label: 'SYN-ACK', reached: 'other' },
  ];
}

/** A transfer that stops: downloads stop on their way to the node, uploads on their way to the controller. */
function stalledTransfer(by: End, f: WireFacts, verdictText: string): Sequence {
  const upload = f.probe?.startsWith('ul-') === true;
  const sender = upload ? by : other(by);
  const what = upload ? 'upload body' : 'response body';
  const sent = f.responderSent === undefined || upload ? '' : `${other(by)} sent ${bytes(f.responderSent)}`;
  const got = f.stallAt === undefined ? 'then nothing' : `${other(sender)} got ${bytes(f.stallAt)}, then nothing`;
  const steps: SequenceStep[] = [...connected(by), { from: by, label: upload ? 'request (upload)' : 'request', reached: 'other', note: f.requestSeen ? `${other(by)} logged it` : undefined }];
  if (f.largestPassing !== undefined) steps.push({ from: sender, label: `transfers up to ${sizeLabel(f.largestPassing)}`, reached: 'other', note: 'passed' });
  steps.push({ from: sender, label: what, reached: 'path', note: [sent, got].filter((s) => s !== '').join('; '), stop: true });
  return { initiator: by, steps, stop: { side: 'path', text: `${verdictText}: the ${what} stopped on the way to the ${other(sender)}${f.stallAt === undefined ? '' : ` at byte ${f.stallAt}`}` } };
}

function idleCut(e: IdleCutEvidence): Sequence {
  const steps: SequenceStep[] = [
    ...connected('node'),
    { from: 'node', label: 'WebSocket channel opened', reached: 'other', note: 'worked' },
    { from: 'node', label: `quiet for ${Math.round(e.idleMs / 1000)} s`, reached: 'none', note: 'no traffic either way' },
    { from: 'controller', label: 'push', reached: e.push ? 'other' : 'path', note: e.listenerPushSent ? (e.push ? 'arrived' : 'sent, never arrived') : 'not sent', stop: !e.push },
    { from: 'node', label: 'ping', reached: e.listenerGotPing ? 'other' : 'path', note: e.listenerGotPing ? 'arrived' : 'never arrived', stop: !e.listenerGotPing },
    { from: 'controller', label: 'pong', reached: e.pong ? 'other' : 'path', note: e.pong ? 'arrived' : 'never arrived', stop: e.listenerGotPing && !e.pong },
  ];
  return { initiator: 'node', steps, stop: { side: 'path', text: 'a firewall or NAT on the path forgot the quiet connection' } };
}

function sourceMismatch(e: SourceMismatchEvidence): Sequence {
  return {
    initiator: 'node',
    steps: [{ from: 'node', label: `request from ${e.nodeSource}`, reached: 'other', note: `the controller saw it come from ${e.seen.address}`, stop: true }],
    stop: { side: 'path', text: `the source address changed on the way (NAT, or another interface): sent from ${e.nodeSource}, seen from ${e.seen.address}` },
  };
}

function ftp(e: FtpFields, verdictText: string): Sequence {
  const steps: SequenceStep[] = [{ from: 'node', label: `control connection :${e.controlPort}`, reached: e.controlOk === false ? 'path' : 'other', stop: e.controlOk === false }];
  if (e.controlOk !== false) steps.push({ from: 'node', label: 'USER/PASS', reached: e.ledgerSawLogin ? 'other' : 'path', note: e.loginOk === true ? 'logged in' : undefined, stop: !e.ledgerSawLogin });
  if (e.ledgerSawLogin) {
    const pasv = e.pasvPort ?? e.listenerPasvPort;
    steps.push({ from: 'controller', label: `PASV ${pasv ?? e.dataPorts}`, reached: e.pasvPort === undefined ? 'path' : 'other', stop: e.pasvPort === undefined });
    if (e.pasvPort !== undefined) {
      const data = e.dataConnected === true || e.listenerDataPeer !== undefined;
      steps.push({ from: 'node', label: `data connection :${e.pasvPort}`, reached: data ? 'other' : 'path', stop: !data });
      if (data) steps.push({ from: 'controller', label: 'file', reached: e.outcome === 'ok' ? 'other' : 'path', note: `controller sent ${bytes(e.ledgerBytesWritten)}`, stop: e.outcome !== 'ok' });
    }
  }
  const at = steps.find((s) => s.stop === true);
  return { initiator: 'node', steps, stop: at === undefined ? undefined : { side: 'path', text: `${verdictText}: ${at.label} did not get through` } };
}

function forwardFacts(e: ForwardPathEvidence): WireFacts {
  return { ...factsOf(e), synSeen: e.nodeHalfOpen !== undefined, requestSeen: false };
}

/** The common TCP-level stories, for either direction. */
function tcpStory(by: End, verdict: PathReport['verdict'], f: WireFacts, listening?: boolean): Sequence | undefined {
  const to = other(by);
  switch (verdict) {
    case 'blocked':
      return { initiator: by, steps: [{ from: by, label: 'SYN', reached: 'path', note: `the ${to} never saw it`, stop: true }], stop: { side: 'path', text: `the SYN was dropped on the way: the ${to} saw nothing` } };
    case 'no-route':
      return { initiator: by, steps: [{ from: by, label: 'SYN', reached: f.icmpReject ? 'path' : 'none', note: 'no route to the address', stop: true }], stop: { side: by, text: `the ${by} has no route to the ${to}'s address` } };
    case 'return-path-lost':
      if (f.requestSeen) {
        return {
          initiator: by,
          steps: [...connected(by), { from: by, label: 'request', reached: 'other', note: `the ${to} logged it` }, { from: to, label: 'answer', reached: 'path', note: `never reached the ${by}`, stop: true }],
          stop: { side: 'path', text: `the ${to}'s answer was lost on the way back` },
        };
      }
      return {
        initiator: by,
        steps: [{ from: by, label: 'SYN', reached: 'other', note: f.synSeen ? `the ${to} saw it (SYN_RECV)` : undefined }, { from: to, label: 'SYN-ACK', reached: 'path', note: `never reached the ${by}`, stop: true }],
        stop: { side: 'path', text: `the ${to} answered the SYN; its SYN-ACK was lost on the way back` },
      };
    case 'rejected':
    case 'service-down':
    case 'closed':
      if (f.icmpReject) return { initiator: by, steps: [{ from: by, label: 'SYN', reached: 'path', note: 'ICMP unreachable from a firewall', stop: true }], stop: { side: 'path', text: 'a firewall on the path rejects it (ICMP unreachable)' } };
      return {
        initiator: by,
        steps: [{ from: by, label: 'SYN', reached: 'other' }, { from: to, label: 'RST', reached: 'other', note: listening === false ? 'nothing listens on the port' : listening === true ? 'a service listens: a REJECT rule' : 'refused', stop: true }],
        stop: { side: to, text: verdict === 'rejected' ? `the connection was refused at the ${to} (a REJECT rule, or nothing listening)` : `nothing listens on the port on the ${to}` },
      };
    case 'tls-intercepted':
      return {
        initiator: by,
        steps: [...connected(by), { from: by, label: 'TLS ClientHello', reached: 'path', note: `a middlebox answered with its own certificate${f.fingerprint === undefined ? '' : ` (${f.fingerprint.slice(0, 11)}..)`}`, stop: true }],
        stop: { side: 'path', text: 'a TLS-inspecting device on the path answered in the controller\'s place' },
      };
    case 'tls-failed':
      return { initiator: by, steps: [...connected(by), { from: by, label: 'TLS handshake', reached: 'path', note: 'did not complete', stop: true }], stop: { side: 'path', text: 'TCP connects, the TLS handshake does not complete' } };
    case 'mtu-blackhole':
    case 'stalled':
    case 'truncated':
      return stalledTransfer(by, f, verdict);
    case 'slow':
      return {
        initiator: by,
        steps: [...connected(by), { from: by, label: 'request', reached: 'other' }, { from: to, label: 'transfer', reached: 'other', note: f.throughputMbps === undefined ? 'slow' : `${f.throughputMbps} Mbit/s` }],
      };
    default:
      return undefined;
  }
}

/** The sequence of a path, or undefined when there is nothing to draw (ok, not measured, evidence without the facts). */
export function sequenceOf(path: PathReport): Sequence | undefined {
  const e = path.evidence;
  switch (e.kind) {
    case 'not-run':
    case 'measured':
      return path.verdict === 'slow' ? tcpStory('node', 'slow', factsOf(e)) : undefined;
    case 'idle-cut':
      return idleCut(e);
    case 'source-mismatch':
      return sourceMismatch(e);
    case 'ftp-control':
    case 'ftp-data':
      return ftp(e, path.verdict);
    case 'forward':
      return tcpStory('controller', path.verdict, forwardFacts(e), e.nodeListening?.measured === true ? e.nodeListening.on.length > 0 : undefined);
    default:
      return tcpStory(path.direction === 'callback' ? 'node' : 'controller', path.verdict, factsOf(e));
  }
}
