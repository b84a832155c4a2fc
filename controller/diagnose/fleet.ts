/**
 * Fleet inference: a cause shared by many nodes is told once, where it lives. When every node that
 * was measured fails the same callback port, the fault is on the controller's side (its firewall, its
 * bind address), not on each node; when the nodes of one subnet fail together while others pass, it
 * is between that subnet and the controller. Callbacks the update manager does not need (src/managers.ts)
 * make no finding when they fail. Pure: reads node reports, returns findings, and the
 * node reports with their remedies.
 */
import type { ProfileHints } from '../../src/profiles.js';
import { findingFor, type FleetFinding, type NodeReport, type PathReport } from '../../src/report.js';
import { isFailure, type PathKind } from '../../src/verdicts.js';
import { controllerIngress } from '../remedy/controller-side.js';
import { remediesForNode } from '../remedy/node.js';
import { pathFirewall } from '../remedy/path.js';

/** Fewer nodes than this prove nothing shared. */
const MIN_NODES = 2;

interface Target {
  to: string;
  port: number;
  proto: 'http' | 'https';
}

type CallbackPath = PathReport & { proto: 'http' | 'https' };

/** The web callbacks; FTP is told per node (only switches use it). */
const isCallback = (p: PathReport): p is CallbackPath => p.direction === 'callback' && (p.proto === 'http' || p.proto === 'https');
const keyOf = (t: Target): string => `${t.to}|${t.port}|${t.proto}`;

/** A node's standing on one target: failing only when every measured callback to it failed. */
interface Standing {
  node: string;
  failed: boolean;
  verdict: PathKind;
  /** The /24 of each source address it called from (IPv4 only). */
  subnets: string[];
}

function subnet24(address: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.\d+$/.exec(address);
  return m === null ? undefined : `${m[1]}.${m[2]}.${m[3]}.0/24`;
}

function standings(nodes: readonly NodeReport[]): Map<string, { target: Target; nodes: Standing[] }> {
  const byTarget = new Map<string, { target: Target; nodes: Standing[] }>();
  for (const node of nodes) {
    // A failed callback the update manager does not need is no fault, so it groups into no finding;
    // one that passed still shows the controller accepts that port.
    const measured = node.paths.filter(isCallback).filter((p) => p.verdict !== 'not-measured' && !(p.notNeeded !== undefined && isFailure(p.verdict)));
    const targets = new Map<string, CallbackPath[]>();
    for (const p of measured) targets.set(keyOf(p), [...(targets.get(keyOf(p)) ?? []), p]);
    for (const [key, paths] of targets) {
      const first = paths[0]!;
      const entry = byTarget.get(key) ?? { target: { to: first.to, port: first.port, proto: first.proto }, nodes: [] };
      const failed = paths.every((p) => isFailure(p.verdict));
      entry.nodes.push({
        node: node.name,
        failed,
        verdict: first.verdict,
        subnets: [...new Set(paths.map((p) => subnet24(p.from)).filter((s): s is string => s !== undefined))],
      });
      byTarget.set(key, entry);
    }
  }
  return byTarget;
}

/** The verdict most of the failing nodes share. */
function commonVerdict(failing: readonly Standing[]): PathKind {
  const counts = new Map<PathKind, number>();
  for (const s of failing) counts.set(s.verdict, (counts.get(s.verdict) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

export function inferFleet(nodes: readonly NodeReport[]): FleetFinding[] {
  const findings: FleetFinding[] = [];
  const all = standings(nodes);
  const controllerWide = new Map<string, FleetFinding>();
  for (const { target, nodes: list } of all.values()) {
    if (list.length < MIN_NODES || !list.every((s) => s.failed)) continue;
    const verdict = commonVerdict(list);
    // One cause shows mostly one way (a node's own reject may come first): two nodes failing
    // differently (rejected here, return path lost there) are two faults, not one finding.
    const sharing = list.filter((s) => s.verdict === verdict).length;
    if (sharing < MIN_NODES || sharing * 2 <= list.length) continue;
    const finding: FleetFinding = {
      scope: 'controller',
      where: target.to,
      to: target.to,
      port: target.port,
      proto: target.proto,
      verdict,
      nodes: list.map((s) => s.node),
      summary: `every node (${list.length}) fails callbacks to ${target.to}:${target.port} (${verdict}): the controller's side — its firewall or the address it listens on — not each node`,
      remedies: [],
    };
    controllerWide.set(keyOf(target), finding);
    findings.push(finding);
  }

  for (const { target, nodes: list } of all.values()) {
    if (controllerWide.has(keyOf(target))) continue;
    const subnets = new Set(list.flatMap((s) => s.subnets));
    for (const cidr of subnets) {
      const inside = list.filter((s) => s.subnets.includes(cidr));
      const outsidePasses = list.some((s) => !s.subnets.includes(cidr) && !s.failed);
      if (inside.length < MIN_NODES || !outsidePasses || !inside.every((s) => s.failed)) continue;
      const verdict = commonVerdict(inside);
      findings.push({
        scope: 'subnet',
        where: cidr,
        to: target.to,
        port: target.port,
        proto: target.proto,
        verdict,
        nodes: inside.map((s) => s.node),
        summary: `all ${inside.length} nodes in ${cidr} fail callbacks to ${target.to}:${target.port} (${verdict}) while nodes elsewhere pass: look between that subnet and the controller`,
        remedies: [],
      });
    }
  }
  // One remedy per place for all its ports, on the last finding of each.
  const byPlace = new Map<string, FleetFinding[]>();
  for (const f of findings) byPlace.set(`${f.scope}|${f.where}|${f.to}`, [...(byPlace.get(`${f.scope}|${f.where}|${f.to}`) ?? []), f]);
  for (const list of byPlace.values()) {
    const last = list.at(-1)!;
    const ports = list.map((f) => f.port);
    last.remedies.push(last.scope === 'controller' ? controllerIngress(ports) : pathFirewall(last.where, last.to, ports));
  }
  return findings;
}

/** What the remedies need beyond the node reports: the callback ports, and each node's profile's hints. */
export interface FleetContext {
  httpPort: number;
  httpsPort: number;
  hintsOf(node: NodeReport): ProfileHints;
}

/**
 * The run's diagnosis once every node has its own: the findings, and each node's report with the
 * remedies for the paths no finding explains. The remedies are made here, once per node, rather
 * than with each node and filtered afterwards: one remedy can cover several paths (one egress rule
 * for both callback ports, the ESXi rule file for both), and a finding that explains some of them
 * changes that remedy's lines, not only whether it is shown.
 */
export function diagnoseFleet(nodes: readonly NodeReport[], ctx: FleetContext): { nodes: NodeReport[]; findings: FleetFinding[] } {
  const findings = inferFleet(nodes);
  return {
    nodes: nodes.map((node) => {
      const remedies = remediesForNode(node, { httpPort: ctx.httpPort, httpsPort: ctx.httpsPort, hints: ctx.hintsOf(node) }, (path) => findingFor(findings, node, path) !== undefined);
      return remedies.length === 0 ? node : { ...node, remedies };
    }),
    findings,
  };
}
