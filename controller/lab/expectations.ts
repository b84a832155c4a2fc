/**
 * Did twoway diagnose the lab correctly? A pure comparison of a report with the scenario table
 * (and the lab-wide fault, when one is on): used by the demo and the end-to-end tests. What is
 * expected may depend on how the run was made (its idle hold); that comes from the report itself.
 */
import type { NodeReport, Report } from '../../src/report.js';
import type { PathKind, VerdictKind } from '../../src/verdicts.js';
import type { Expectation, ExpectedPath, LabScenario } from './scenarios-model.js';
import type { LabFault } from './scenarios-faults.js';

export interface ScenarioCheck {
  node: string;
  expected: VerdictKind;
  got: VerdictKind | 'missing';
  /** One line per expected path that did not match. */
  problems: string[];
  ok: boolean;
}

/** The run settings that change what the lab should show (read from report.run.settings). */
export interface RunConditions {
  /** Quiet time of the idle-hold channel; 0: no hold. */
  idleHoldMs: number;
}

export function runConditions(report: Report): RunConditions {
  // Read structurally: a report made before the idle hold existed has no such field.
  const settings: { idleHoldMs?: number } = report.run.settings;
  return { idleHoldMs: settings.idleHoldMs ?? 0 };
}

/** The scenario's expectation for a run made this way: the idle-cut alternative when the hold outlasts the path's idle timeout. */
export function expectedFor(s: LabScenario, run: RunConditions): Expectation {
  const cut = s.expect.idleCut;
  if (cut !== undefined && run.idleHoldMs > cut.afterMs) return { node: cut.node, paths: cut.paths };
  if (s.expect.underHold !== undefined && run.idleHoldMs > 0) return s.expect.underHold;
  return { node: s.expect.node, paths: s.expect.paths };
}

function matches(path: NodeReport['paths'][number], want: ExpectedPath): boolean {
  if (path.direction !== want.direction) return false;
  if (want.proto !== undefined && path.proto !== want.proto) return false;
  if (path.port < want.port || path.port > (want.lastPort ?? want.port)) return false;
  if (want.address === undefined) return true;
  return want.direction === 'forward' ? path.to === want.address : path.from === want.address;
}

export function checkNode(node: NodeReport | undefined, name: string, expected: Expectation): ScenarioCheck {
  if (node === undefined) return { node: name, expected: expected.node, got: 'missing', problems: ['not in the report'], ok: false };
  const problems: string[] = [];
  if (node.verdict !== expected.node) problems.push(`node verdict ${node.verdict}, expected ${expected.node}`);
  for (const want of expected.paths) {
    const found = node.paths.filter((p) => matches(p, want));
    const label = `${want.direction} ${want.proto === undefined ? '' : `${want.proto} `}${want.port}${want.lastPort === undefined ? '' : `-${want.lastPort}`}${want.address === undefined ? '' : ` (${want.address})`}`;
    if (found.length === 0) problems.push(`${label}: no such path`);
    for (const p of found) if (p.verdict !== want.verdict) problems.push(`${label}: ${p.verdict}, expected ${want.verdict}`);
  }
  return { node: name, expected: expected.node, got: node.verdict, problems, ok: problems.length === 0 };
}

export function checkLabReport(report: Report, scenarios: readonly LabScenario[], fault?: LabFault): ScenarioCheck[] {
  const run = runConditions(report);
  return scenarios.map((s) => {
    const node = report.nodes.find((n) => n.name === s.node);
    const expected = expectedFor(s, run);
    return checkNode(node, s.node, fault === undefined ? expected : expectedUnderFault(s, fault, expected));
  });
}

/** Callback verdicts that mean the connection never got past the node or the path: a fault further on changes nothing. */
const STOPPED_EARLIER: ReadonlySet<PathKind> = new Set(['blocked', 'rejected', 'no-route']);

function subnetOf(address: string): number | undefined {
  const third = Number(address.split('.')[2]);
  return Number.isInteger(third) ? third : undefined;
}

/** Whether the fault sits where this expected callback path goes. */
function inScope(s: LabScenario, fault: LabFault, path: ExpectedPath): boolean {
  if (fault.affects === 'all') return true;
  const { subnets } = fault.affects;
  if (path.address !== undefined) {
    const n = subnetOf(path.address);
    return n !== undefined && subnets.includes(n);
  }
  return s.links.some((l) => subnets.includes(l.n));
}

/**
 * Under a lab-wide fault: the callbacks that used to get as far as the fault, from the nodes and
 * addresses it covers, show the fault's verdicts, and the node takes the fault's verdict; callbacks
 * a node's own firewall or the path already stops keep theirs, as do forward paths and nodes that
 * never run the agent (no callback paths) or lie outside the fault's reach.
 */
export function expectedUnderFault(s: LabScenario, fault: LabFault, expected: Expectation = s.expect): Expectation {
  // A path the agent cannot measure stays "not measured" whatever the network does.
  const affected = (p: ExpectedPath): boolean =>
    p.direction === 'callback' && fault.ports.includes(p.port) && !STOPPED_EARLIER.has(p.verdict) && p.verdict !== 'not-measured' && inScope(s, fault, p);
  const hit = expected.paths.filter(affected);
  if (hit.length === 0) return expected;
  const kept = expected.paths.filter((p) => !affected(p));
  // The fault's paths, once per source address the affected callbacks named (or once, unaddressed),
  // but for those the agent cannot measure, which stay as they were.
  const unmeasurable = kept.filter((p) => p.direction === 'callback' && p.verdict === 'not-measured');
  const addresses = [...new Set(hit.map((p) => p.address))];
  const replaced = addresses.flatMap((address) =>
    fault.expectAffected.paths
      .filter((p) => !unmeasurable.some((u) => u.port === p.port && u.address === address))
      .map((p): ExpectedPath => (address === undefined ? p : { ...p, address })),
  );
  return { node: fault.expectAffected.node, paths: [...replaced, ...kept] };
}
