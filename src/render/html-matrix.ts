/**
 * The HTML report's node x path matrix and its panels. A node with several addresses keeps a row
 * per address under its own (the callbacks made from that address), as the terminal report does;
 * the profile and the agent flavour have columns. A cell links to a panel with its evidence, shown
 * with CSS :target, so no script is needed.
 */
import { findingFor, type NodeReport, type PathReport, type Remedy, type Report } from '../report.js';
import { VERDICTS, type VerdictKind } from '../verdicts.js';
import { escapeHtml as esc } from './html-escape.js';
import { cellClass, cellVerdict, pathLabel, pathsIn } from './labels.js';
import { tokenStrayLine } from './strays.js';

/** A verdict as a coloured label; a path the update manager does not need is coloured as information, its reason in the tooltip. */
export function verdictSpan(kind: VerdictKind, notNeeded?: string): string {
  if (notNeeded !== undefined && VERDICTS[kind].class !== 'ok') {
    return `<span class="v-${kind} c-info not-needed" title="${esc(`${VERDICTS[kind].title}; information only: ${notNeeded}`)}">${esc(kind)}</span>`;
  }
  return `<span class="v-${kind} c-${VERDICTS[kind].class}" title="${esc(VERDICTS[kind].title)}">${esc(kind)}</span>`;
}

/** A matrix cell's classes: its verdict's colour, unless its failures are all callbacks the manager does not need (information). */
function cellClasses(paths: readonly PathReport[], kind: VerdictKind): string {
  const cls = cellClass(paths)!;
  return `v-${kind} c-${cls}${cls === VERDICTS[kind].class ? '' : ' not-needed'}`;
}

export function remediesHtml(remedies: readonly Remedy[] | undefined): string {
  return (remedies ?? []).map((r) => `<h4>${esc(r.title)} <small>(${esc(r.where)})</small></h4><pre>${esc(r.lines.join('\n'))}</pre>`).join('');
}

function jsonBlock(value: unknown): string {
  return `<pre class="evidence">${esc(JSON.stringify(value, null, 2))}</pre>`;
}

export function nicList(node: NodeReport): string {
  if (node.nics === undefined || node.nics.length === 0) return '';
  const items = node.nics.map((nic) => {
    const name = nic.iface === undefined ? nic.address : `${nic.address} (${nic.iface})`;
    const use = nic.reaches.length > 0 ? `calls back to ${nic.reaches.join(', ')}` : 'reaches no controller address';
    return `<li>NIC ${esc(name)}: ${esc(use)}${nic.fails.length > 0 ? esc(`; fails toward ${nic.fails.join(', ')}`) : ''}</li>`;
  });
  return `<h4>NICs</h4><ul>${items.join('')}</ul>`;
}

function pathSection(report: Report, node: NodeReport, p: PathReport): string {
  const info = VERDICTS[p.verdict];
  const shared = findingFor(report.findings, node, p);
  const advice = (): string => {
    if (info.severity === 0) return shared === undefined ? '' : `<p>Shared cause: ${esc(shared.summary)} (see Fleet findings)</p>`;
    if (p.notNeeded !== undefined) return `<p>Information only: ${esc(p.notNeeded)}</p>`;
    return shared === undefined ? `<p>Fix: ${esc(info.hint)}</p>` : `<p>Shared cause: ${esc(shared.summary)} (see Fleet findings)</p>`;
  };
  return `<h3>${verdictSpan(p.verdict, p.notNeeded)} ${esc(pathLabel(p))}</h3><p>${esc(p.summary)}</p>${advice()}${jsonBlock(p.evidence)}`;
}

function panel(id: string, title: string, body: string): string {
  return `<section class="panel" id="${id}"><a class="close" href="#matrix">close</a><h2>${title}</h2>${body}</section>`;
}

function agentText(node: NodeReport): string {
  return node.agent?.flavour ?? (node.agentless === true ? 'none' : '-');
}

function nodePanel(node: NodeReport, i: number): string {
  const facts: [string, string][] = [
    ['verdict', `${node.verdict} (${VERDICTS[node.verdict].title})`],
    ['addresses', node.addresses.join(', ')],
    ['profile', node.profile],
    ['callback addresses', node.callbackAddresses.join(', ')],
    ...(node.sshAddress === undefined ? [] : [['SSH used', node.sshAddress] as [string, string]]),
    ...(node.agent === undefined ? [] : [['agent', `${node.agent.flavour} ${node.agent.version} (${node.agent.runtime}, ${node.agent.platform})`] as [string, string]]),
    ['time', `${(node.ms / 1000).toFixed(1)} s`],
  ];
  const nodeFault =
    node.nodeVerdict === undefined
      ? ''
      : `<h3>${verdictSpan(node.nodeVerdict)} ${esc(VERDICTS[node.nodeVerdict].title)}</h3><p>${esc(VERDICTS[node.nodeVerdict].explanation)}</p><p>Fix: ${esc(VERDICTS[node.nodeVerdict].hint)}</p>${jsonBlock(node.nodeEvidence ?? {})}`;
  const tokenStrays =
    node.tokenStrays === undefined ? '' : `<h3>Its token came from addresses not its own</h3><ul>${node.tokenStrays.map((s) => `<li>${esc(tokenStrayLine(s))}</li>`).join('')}</ul>`;
  const body = `<dl class="summary">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>${nodeFault}${nicList(node)}${tokenStrays}${
    node.remedies === undefined ? '' : `<h3>Fixes for ${esc(node.name)}</h3>${remediesHtml(node.remedies)}`
  }`;
  return panel(`node-${i}`, esc(node.name), body);
}

function cellPanel(report: Report, node: NodeReport, nodeIndex: number, paths: readonly PathReport[], id: string, column: string): string {
  const fixes = node.remedies === undefined ? '' : `<h3>Fixes for ${esc(node.name)}</h3>${remediesHtml(node.remedies)}`;
  const nodeFault = node.nodeVerdict === undefined ? '' : `<p>Node: ${verdictSpan(node.nodeVerdict)} ${esc(VERDICTS[node.nodeVerdict].title)} (<a href="#node-${nodeIndex}">details</a>)</p>`;
  return panel(id, `${esc(node.name)}: ${esc(column)}`, `${nodeFault}${paths.map((p) => pathSection(report, node, p)).join('')}${fixes}`);
}

/** A multi-address node's extra rows: per address, the callbacks made from it (cells link to the node's own cell panel). */
function addressRows(node: NodeReport, i: number, columns: readonly string[]): string[] {
  if (node.addresses.length < 2) return [];
  return node.addresses.map((address) => {
    const own: NodeReport = { ...node, paths: node.paths.filter((p) => (p.direction === 'callback' ? p.from === address : p.to === address)) };
    const cells = columns.map((column, j) => {
      const paths = pathsIn(own, column);
      const kind = cellVerdict(paths);
      return kind === undefined ? '<td class="empty"></td>' : `<td class="addr-cell ${cellClasses(paths, kind)}" data-verdict="${kind}"><a href="#cell-${i}-${j}">${esc(kind)}</a></td>`;
    });
    return `<tr class="addr-row"><th scope="row" class="addr">from ${esc(address)}</th><td></td><td></td><td></td>${cells.join('')}</tr>`;
  });
}

export function matrixHtml(report: Report, columns: readonly string[]): { table: string; panels: string[] } {
  const panels: string[] = [];
  const rows = report.nodes.map((node, i) => {
    panels.push(nodePanel(node, i));
    const cells = columns.map((column, j) => {
      const paths = pathsIn(node, column);
      const kind = cellVerdict(paths);
      if (kind === undefined) return '<td class="empty">-</td>';
      const id = `cell-${i}-${j}`;
      panels.push(cellPanel(report, node, i, paths, id, column));
      const tip = paths.map((p) => `${pathLabel(p)}: ${p.summary}`).join('\n');
      return `<td class="cell ${cellClasses(paths, kind)}" data-verdict="${kind}" data-paths="${paths.length}"><a href="#${id}" title="${esc(tip)}">${esc(kind)}</a></td>`;
    });
    const own = `<tr class="node-row" id="row-${i}"><th scope="row">${esc(node.name)}</th><td class="nodecell v-${node.verdict} c-${VERDICTS[node.verdict].class}" data-verdict="${node.verdict}"><a href="#node-${i}">${esc(node.verdict)}</a></td><td>${esc(node.profile)}</td><td>${esc(agentText(node))}</td>${cells.join('')}</tr>`;
    return [own, ...addressRows(node, i, columns)].join('');
  });
  const head = `<tr><th>node</th><th>verdict</th><th>profile</th><th>agent</th>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  return { table: `<section id="matrix"><h2>Node x path matrix</h2><p class="noprint">Click a cell for its evidence and fixes.</p><table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></section>`, panels };
}
