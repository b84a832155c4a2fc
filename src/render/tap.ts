/**
 * TAP version 14 (`--tap FILE`), for harnesses that read the Test Anything Protocol: one test point
 * per node, its paths as a subtest (a `# Subtest:` comment, the child stream indented four spaces,
 * then the node's own test point), YAML diagnostics indented two spaces under a test point.
 *
 * Mapping, so the stream passes exactly when twoway exits 0 (no fault):
 * - a fault on a path -> `not ok`, with verdict, summary, the fix (or shared cause) and the evidence;
 * - a warning -> `ok`, with `severity: warning` in its diagnostics (it does not fail the run);
 * - not-measured because the node's SSH session or agent failed -> `ok ... # SKIP`: the node's
 *   `session` point (first in its subtest) carries the failure;
 * - a node is `not ok` when any of its points is.
 */
import { stringify } from 'yaml';
import { findingFor, type NodeReport, type PathReport, type Report } from '../report.js';
import { VERDICTS, isFailure, isFault } from '../verdicts.js';
import { nodeClass, pathLabel } from './labels.js';

interface Point {
  ok: boolean;
  description: string;
  directive?: string;
  diagnostics?: Record<string, unknown>;
}

/** Descriptions escape `\` and `#` (TAP 14), and stay on one line. */
function description(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

function pointLines(n: number, point: Point): string[] {
  const head = `${point.ok ? 'ok' : 'not ok'} ${n} - ${description(point.description)}${point.directive === undefined ? '' : ` # ${point.directive.replace(/[\r\n]+/g, ' ')}`}`;
  if (point.diagnostics === undefined) return [head];
  const yaml = stringify(point.diagnostics, { indent: 2, lineWidth: 0 }).trimEnd().split('\n');
  return [head, '  ---', ...yaml.map((line) => `  ${line}`), '  ...'];
}

function sessionPoint(node: NodeReport): Point | undefined {
  if (node.nodeVerdict === undefined) return undefined;
  const info = VERDICTS[node.nodeVerdict];
  return {
    ok: !isFault(node.nodeVerdict),
    description: `session: ${node.nodeVerdict}`,
    diagnostics: { verdict: node.nodeVerdict, severity: info.class, title: info.title, fix: info.hint, ...(node.nodeEvidence === undefined ? {} : { evidence: node.nodeEvidence }) },
  };
}

function pathPoint(report: Report, node: NodeReport, p: PathReport): Point {
  const info = VERDICTS[p.verdict];
  const label = `${pathLabel(p)}: ${p.verdict}`;
  if (p.verdict === 'not-measured' && node.nodeVerdict !== undefined) return { ok: true, description: label, directive: `SKIP not measured: the node's session failed (${node.nodeVerdict})` };
  if (!isFailure(p.verdict)) return { ok: true, description: label };
  const shared = findingFor(report.findings, node, p);
  return {
    ok: !isFault(p.verdict),
    description: label,
    diagnostics: {
      verdict: p.verdict,
      severity: info.class,
      summary: p.summary,
      ...(shared === undefined ? { fix: info.hint } : { 'shared cause': shared.summary }),
      evidence: p.evidence,
    },
  };
}

function nodeLines(report: Report, node: NodeReport, n: number): string[] {
  const session = sessionPoint(node);
  const points = [...(session === undefined ? [] : [session]), ...node.paths.map((p) => pathPoint(report, node, p))];
  const child = [`1..${points.length}`, ...points.flatMap((point, i) => pointLines(i + 1, point))];
  const cls = nodeClass(node);
  const fixes = (node.remedies ?? []).map((r) => ({ title: r.title, where: r.where, lines: r.lines }));
  const own: Point = {
    ok: cls !== 'fault',
    description: `${node.name}: ${node.verdict}`,
    ...(cls === 'ok' || cls === 'info' ? {} : { diagnostics: { verdict: node.verdict, severity: cls, addresses: node.addresses, ...(fixes.length > 0 ? { fixes } : {}) } }),
  };
  return [`# Subtest: ${node.name.replace(/[\r\n]+/g, ' ')}`, ...child.map((line) => `    ${line}`), ...pointLines(n, own)];
}

export function renderTap(report: Report): string {
  const lines = ['TAP version 14', `1..${report.nodes.length}`, ...report.nodes.flatMap((node, i) => nodeLines(report, node, i + 1))];
  if (report.run.interrupted) lines.push('# the run was interrupted: nodes it did not reach are not measured');
  return `${lines.join('\n')}\n`;
}
