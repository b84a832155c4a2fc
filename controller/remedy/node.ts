/**
 * Fixes that can be pasted: pure functions from a diagnosed node (and the run's ports) to the lines
 * an operator runs on the node, the controller, a router or an ESXi host. The kind's general advice
 * lives in VERDICTS; these are the specific commands for what this run saw, read from the paths'
 * typed evidence (src/evidence.ts).
 */
import type { ControllerSynSighting, SizeBoundaryEvidence } from '../../src/evidence.js';
import type { NodeReport, PathReport, Remedy } from '../../src/report.js';
import { callbackFixes, sourceRouting, unique, type RemedyContext } from './callback.js';
import { ftpDataFixes } from './ftp.js';
import { mtuFixes, outageFixes } from './mtu.js';
import { idleFixes, lostAnswers, reversePathFilter } from './path.js';

/** The controller's SYN_RECV sighting a failing callback rests on, if any. */
function controllerSyn(path: PathReport): ControllerSynSighting | undefined {
  const e = path.evidence;
  return e.kind === 'probe' || e.kind === 'ftp-control' || e.kind === 'ftp-data' ? e.controllerHalfOpen : undefined;
}

/** The node address whose SYN the controller held half-open, or the path's source. */
const halfOpenPeer = (p: PathReport): string => controllerSyn(p)?.remote ?? p.from;

/** The size boundaries among the paths, the ones that know the largest passing download first. */
function sizeBoundary(paths: readonly PathReport[]): SizeBoundaryEvidence | undefined {
  const found = paths.flatMap((p) => (p.verdict === 'mtu-blackhole' && p.evidence.kind === 'size-boundary' ? [p.evidence] : []));
  return found.find((e) => e.largestPassingDownload !== undefined) ?? found[0];
}

/**
 * The pasteable fixes for a node's failing paths, each told once for all the ports it concerns.
 * `explained` paths (a fleet finding covers them) get none here, nor callbacks the update manager does
 * not need (information: nothing to change for this manager).
 */
export function remediesForNode(node: NodeReport, ctx: RemedyContext, explained: (path: PathReport) => boolean): Remedy[] {
  const failing = node.paths.filter((p) => p.verdict !== 'ok' && p.verdict !== 'not-measured' && p.notNeeded === undefined && !explained(p));
  const callbacks = failing.filter((p) => p.direction === 'callback');
  const remedies: Remedy[] = [];
  // FTP data behind a working control connection has fixes of its own.
  const ftpData = callbacks.filter((p) => p.proto === 'ftp-data' && (p.verdict === 'blocked' || p.verdict === 'rejected'));
  const unreached = callbacks.filter((p) => p.proto !== 'ftp-data' && (p.verdict === 'blocked' || p.verdict === 'rejected'));
  for (const source of unique(unreached.map((p) => p.from))) remedies.push(...callbackFixes(node, source, unreached.filter((p) => p.from === source), ctx));

  for (const p of ftpData) remedies.push(...ftpDataFixes(p, p.from));
  const lost = callbacks.filter((p) => p.verdict === 'return-path-lost');
  for (const key of unique(lost.map((p) => `${p.to}|${halfOpenPeer(p)}`))) {
    const [controller = '', address = ''] = key.split('|');
    remedies.push(lostAnswers(controller, address, unique(lost.filter((p) => `${p.to}|${halfOpenPeer(p)}` === key).map((p) => p.port)), node.name));
  }
  for (const address of unique(failing.filter((p) => p.direction === 'forward' && p.verdict === 'return-path-lost').map((p) => p.to))) {
    remedies.push(...sourceRouting(address, undefined), reversePathFilter());
  }
  const boundary = sizeBoundary(callbacks);
  if (boundary !== undefined) remedies.push(...mtuFixes(boundary, boundary.pathMtu?.find((m) => m.from === 'controller')?.to ?? node.sshAddress ?? node.addresses[0] ?? node.name));
  const outage = callbacks.find((p) => p.verdict === 'path-outage')?.evidence;
  if (outage?.kind === 'outage') remedies.push(outageFixes(outage, node.name));
  const idle = callbacks.find((p) => p.verdict === 'idle-cut');
  if (idle !== undefined) remedies.push(idleFixes(idle.evidence.kind === 'idle-cut' ? idle.evidence.idleMs : undefined));
  // Two sources can lead to the same commands (e.g. the router rule for a NIC's forward and callback paths).
  return remedies.filter((r, i) => remedies.findIndex((o) => JSON.stringify(o) === JSON.stringify(r)) === i);
}
