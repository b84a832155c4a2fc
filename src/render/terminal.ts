/**
 * The terminal report: a node x path matrix, then one diagnosis per failing path with its fix.
 * Colour only when asked (the CLI asks on a TTY without NO_COLOR).
 */
import type { NodeFailureEvidence } from '../evidence.js';
import { findingFor, type NodeReport, type Remedy, type Report } from '../report.js';
import { VERDICTS, type VerdictKind } from '../verdicts.js';
import { cellVerdict, columnsOf, pathLabel, pathsIn } from './labels.js';
import { plainLine, plainTail } from './plain-text.js';
import { sessionBreakLabel } from '../session-break.js';
import { STRAYS_TITLE, strayLines, strayWarnings, tokenStrayLine } from './strays.js';

export interface TerminalOptions {
  color: boolean;
}

const COLOR_BY_SEVERITY = ['\x1b[32m', '\x1b[33m', '\x1b[33m', '\x1b[31m'] as const;
const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';

function paint(kind: VerdictKind, text: string, opts: TerminalOptions): string {
  return opts.color ? `${COLOR_BY_SEVERITY[VERDICTS[kind].severity]}${text}${RESET}` : text;
}

function cell(node: NodeReport, column: string): VerdictKind | undefined {
  return cellVerdict(pathsIn(node, column));
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/** A multi-address node gets one more row per NIC: the callbacks made from that address. */
function nicRows(n: NodeReport, columns: readonly string[]): string[][] {
  return (n.nics ?? []).map((nic) => {
    const own: NodeReport = { ...n, paths: n.paths.filter((p) => p.direction === 'callback' && p.from === nic.address) };
    return [`  from ${nic.address}`, '', '', ...columns.map((c) => cell(own, c) ?? '')];
  });
}

const AGENT_COLUMN = 2;

export function renderMatrix(report: Report, opts: TerminalOptions): string {
  const columns = columnsOf(report.nodes);
  // AGENT: the flavour that ran on the node (node, python, sh-curl, ...); agentless devices: none.
  const header = ['NODE', 'VERDICT', 'AGENT', ...columns];
  const rows = report.nodes.flatMap((n) => [[n.name, n.verdict, n.agent?.flavour ?? (n.agentless === true ? 'none' : '-'), ...columns.map((c) => cell(n, c) ?? '-')], ...nicRows(n, columns)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
  const lines = [header.map((h, i) => pad(h, widths[i]!)).join('').trimEnd()];
  for (const row of rows) {
    lines.push(
      row
        .map((text, i) => {
          const padded = pad(text, widths[i]!);
          return i >= 1 && i !== AGENT_COLUMN && text !== '-' && text !== '' ? paint(text as VerdictKind, padded, opts) : padded;
        })
        .join('')
        .trimEnd(),
    );
  }
  return `${lines.join('\n')}\n`;
}

function remedyLines(remedies: readonly Remedy[] | undefined, indent: string): string[] {
  return (remedies ?? []).flatMap((r) => [`${indent}${r.title} (${r.where}):`, ...r.lines.map((l) => `${indent}  ${l}`)]);
}

export function renderFindings(report: Report, opts: TerminalOptions): string {
  if (report.findings.length === 0) return '';
  const lines = report.findings.flatMap((f) => [`${paint(f.verdict, `! ${f.scope === 'controller' ? 'controller' : f.where}`, opts)}  ${f.summary}`, `    nodes: ${f.nodes.join(', ')}`, ...remedyLines(f.remedies, '    ')]);
  return `${opts.color ? BOLD : ''}Fleet${opts.color ? RESET : ''}\n${lines.join('\n')}\n\n`;
}

/** Which controller address each NIC of a multi-address node can use. */
function nicLines(node: NodeReport): string[] {
  return (node.nics ?? []).map((nic) => {
    const name = nic.iface === undefined ? nic.address : `${nic.address} (${nic.iface})`;
    const use = nic.reaches.length > 0 ? `calls back to ${nic.reaches.join(', ')}` : 'reaches no controller address';
    return `    NIC ${name}: ${use}${nic.fails.length > 0 ? `; fails toward ${nic.fails.join(', ')}` : ''}`;
  });
}

/** Longest piece of node-supplied text in a diagnosis line. */
const MAX_DETAIL = 300;

/**
 * Why the node failed, from its evidence: what twoway found (the runtime problem, the output line
 * that failed validation, the agent's own fatal message), and the last line of the session's
 * stderr. All of it came from the node, so each is made plain (no escapes or control characters)
 * and bounded. Evidence from an older report (legacy) is shown in the JSON formats only.
 */
function nodeDetail(evidence: NodeFailureEvidence | undefined): { reason?: string; stderr?: string } {
  if (evidence?.kind !== 'session') return {};
  const found =
    evidence.runtimeProblem ??
    evidence.invalidOutput ??
    (evidence.fatal === undefined ? undefined : `the agent reported: ${evidence.fatal.message}`) ??
    (evidence.lost === undefined ? undefined : sessionBreakLabel(evidence.lost));
  const stderr = plainTail(evidence.stderr, 1, MAX_DETAIL)[0];
  return { ...(found === undefined ? {} : { reason: plainLine(found, MAX_DETAIL) }), ...(stderr === undefined ? {} : { stderr }) };
}

export function renderDiagnoses(report: Report, opts: TerminalOptions): string {
  const lines: string[] = [];
  for (const node of report.nodes) {
    if (node.nodeVerdict !== undefined) {
      const info = VERDICTS[node.nodeVerdict];
      const { reason, stderr } = nodeDetail(node.nodeEvidence);
      const detail = reason ?? stderr;
      lines.push(`${paint(node.nodeVerdict, `x ${node.name}`, opts)}  ${info.title}${detail === undefined ? '' : `: ${detail}`}`);
      if (reason !== undefined && stderr !== undefined) lines.push(`    stderr: ${stderr}`);
      lines.push(`    fix: ${info.hint}`);
    }
    const failing = node.paths.filter((p) => VERDICTS[p.verdict].severity > 0 && !(node.nodeVerdict !== undefined && p.verdict === 'not-measured'));
    // Information only: the update manager does not need these callbacks, so no fix is offered.
    for (const p of failing.filter((f) => f.notNeeded !== undefined)) lines.push(`i ${node.name}  ${VERDICTS[p.verdict].title}: ${pathLabel(p)}`, `    ${p.summary}`, `    information only: ${p.notNeeded}`);
    // A kind's general advice once per node, however many of its paths show it.
    const hinted = new Set<VerdictKind>();
    for (const p of failing) {
      if (p.notNeeded !== undefined) continue;
      const info = VERDICTS[p.verdict];
      const shared = findingFor(report.findings, node, p);
      lines.push(`${paint(p.verdict, `x ${node.name}`, opts)}  ${info.title}: ${pathLabel(p)}`, `    ${p.summary}`);
      if (shared !== undefined) lines.push(`    shared cause: see Fleet (${shared.scope === 'controller' ? 'the controller' : shared.where})`);
      else if (!hinted.has(p.verdict)) lines.push(`    fix: ${info.hint}`);
      hinted.add(p.verdict);
    }
    if (failing.length > 0) lines.push(...nicLines(node));
    if (node.remedies !== undefined) lines.push(`  fixes for ${node.name}:`, ...remedyLines(node.remedies, '    '));
    for (const s of node.tokenStrays ?? []) lines.push(`${paint('source-mismatch', `! ${node.name}`, opts)}  ${tokenStrayLine(s)}`);
  }
  if (lines.length === 0) return 'No problems found: every path works both ways.\n';
  return `${opts.color ? BOLD : ''}Diagnoses${opts.color ? RESET : ''}\n${lines.join('\n')}\n`;
}

/** Warnings, not faults: the listener refused requests or connections from sources that are no node's. */
export function renderStrays(report: Report, opts: TerminalOptions): string {
  const lines = strayLines(report);
  if (lines.length === 0) return '';
  const title = opts.color ? `${COLOR_BY_SEVERITY[1]}${STRAYS_TITLE}${RESET}` : STRAYS_TITLE;
  return `${title}\n${lines.map((l) => `  ${l}`).join('\n')}\n\n`;
}

export function renderSummaryLine(report: Report): string {
  const { nodes, failedNodes, faults, warnings, information } = report.summary;
  const interrupted = report.run.interrupted ? ' (interrupted)' : '';
  // Reports written before verdicts were counted by class have no counts to show.
  // Each group of strays is one warning more (src/render/strays.ts).
  const strays = strayWarnings(report);
  const classes =
    faults === undefined
      ? strays === 0
        ? ''
        : ` (${strays} warning(s))`
      : ` (${faults} fault(s), ${(warnings ?? 0) + strays} warning(s), ${information ?? 0} information)`;
  return `${nodes} node(s), ${failedNodes} with problems${classes}, ${(report.run.ms / 1000).toFixed(1)} s${interrupted}\n`;
}

export function renderTerminal(report: Report, opts: TerminalOptions): string {
  return `${renderMatrix(report, opts)}\n${renderFindings(report, opts)}${renderStrays(report, opts)}${renderDiagnoses(report, opts)}\n${renderSummaryLine(report)}`;
}
