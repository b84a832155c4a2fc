/**
 * Did twoway diagnose the lab correctly? A pure comparison of a report with the scenario table
 * (and the lab-wide fault, when one is on): used by the demo and the end-to-end tests.
 */
import type { NodeReport, Report } from '../../src/report.js';
import type { VerdictKind } from '../../src/verdicts.js';
import type { ExpectedPath, LabFault, LabScenario } from './scenarios.js';

export interface ScenarioCheck {
  node: string;
  expected: VerdictKind;
  got: VerdictKind | 'missing';
  /** One line per expected path that did not match. */
  problems: string[];
  ok: boolean;
}

function matches(path: NodeReport['paths'][number], want: ExpectedPath): boolean {
  if (path.direction !== want.direction || path.port !== want.port) return false;
  if (want.address === undefined) return true;
  return want.direction === 'forward' ? path.to === want.address : path.from === want.address;
}

export function checkNode(node: NodeReport | undefined, name: string, expected: { node: VerdictKind; paths: readonly ExpectedPath[] }): ScenarioCheck {
  if (node === undefined) return { node: name, expected: expected.node, got: 'missing', problems: ['not in the report'], ok: false };
  const problems: string[] = [];
  if (node.verdict !== expected.node) problems.push(`node verdict ${node.verdict}, expected ${expected.node}`);
  for (const want of expected.paths) {
    const found = node.paths.filter((p) => matches(p, want));
    const label = `${want.direction} ${want.port}${want.address === undefined ? '' : ` (${want.address})`}`;
    if (found.length === 0) problems.push(`${label}: no such path`);
    for (const p of found) if (p.verdict !== want.verdict) problems.push(`${label}: ${p.verdict}, expected ${want.verdict}`);
  }
  return { node: name, expected: expected.node, got: node.verdict, problems, ok: problems.length === 0 };
}

export function checkLabReport(report: Report, scenarios: readonly LabScenario[], fault?: LabFault): ScenarioCheck[] {
  return scenarios.map((s) => {
    const node = report.nodes.find((n) => n.name === s.node);
    return checkNode(node, s.node, fault === undefined ? s.expect : expectedUnderFault(s, fault));
  });
}

/**
 * Under a lab-wide fault, a node whose callbacks used to reach the controller shows the fault's
 * verdict; one whose callbacks already stop at the node (its own firewall), or that never runs the
 * agent, keeps its own.
 */
export function expectedUnderFault(s: LabScenario, fault: LabFault): LabScenario['expect'] {
  const callbacks = s.expect.paths.filter((p) => p.direction === 'callback');
  const stopsAtNode = callbacks.some((p) => p.verdict === 'blocked' || p.verdict === 'rejected');
  if (callbacks.length === 0 || stopsAtNode) return s.expect;
  return fault.expectEverySshdNode;
}
