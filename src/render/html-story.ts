/**
 * The top of the HTML report, readable without a click: what is wrong in one sentence, the fleet
 * findings (a cause shared by several nodes, told once with its fix), then every node with a fault
 * or warning: its cause, a drawing of each failing path (where the traffic stops, and for size
 * faults the transfer ladder), the steps in words, and the fixes to paste. Bounded: beyond
 * STORY_NODES nodes the rest are named with a link to their matrix row.
 */
import { findingFor, type NodeReport, type PathReport, type Report } from '../report.js';
import { VERDICTS } from '../verdicts.js';
import { escapeHtml as esc } from './html-escape.js';
import { nicList, remediesHtml, verdictSpan } from './html-matrix.js';
import { ladderOf, ladderSvg } from './html-svg-ladder.js';
import { sequenceSvg, stepText } from './html-svg-sequence.js';
import { failingPaths, nodeClass, pathLabel } from './labels.js';
import { sequenceOf } from './sequence.js';

/** Nodes told in full; a fleet where more fail has a shared cause, and the findings tell it. */
export const STORY_NODES = 100;

function headline(report: Report, faulty: number, warned: number): string {
  const total = report.nodes.length;
  if (faulty === 0 && warned === 0) return `All ${total} node${total === 1 ? '' : 's'} pass both ways.`;
  const parts = [faulty > 0 ? `${faulty} of ${total} nodes have faults` : '', warned > 0 ? `${warned} ${faulty > 0 ? '' : `of ${total} nodes `}have warnings` : ''].filter((s) => s !== '');
  return `${parts.join('; ')}.${report.run.interrupted ? ' The run was interrupted: nodes it did not reach are not measured.' : ''}`;
}

function findingsHtml(report: Report): string {
  if (report.findings.length === 0) return '';
  const items = report.findings.map(
    (f) =>
      `<div class="finding">${verdictSpan(f.verdict)} <strong>${esc(f.scope === 'controller' ? 'controller' : f.where)}</strong> ${esc(f.summary)}<p>Nodes: ${esc(f.nodes.join(', '))}</p>${remediesHtml(f.remedies)}</div>`,
  );
  return `<section id="findings"><h2>Fleet findings</h2>${items.join('')}</section>`;
}

/** A failing path: its cause, the drawing(s), the steps in words, and the fix (or the shared cause). */
function pathStory(report: Report, node: NodeReport, p: PathReport, id: string): string {
  const info = VERDICTS[p.verdict];
  const shared = findingFor(report.findings, node, p);
  const advice = shared !== undefined ? `<p class="fix">Shared cause: ${esc(shared.summary)} (see Fleet findings)</p>` : `<p class="fix"><strong>Fix:</strong> ${esc(info.hint)}</p>`;
  const seq = sequenceOf(p);
  const controller = p.direction === 'callback' ? `${p.to}:${p.port}` : 'prober';
  const nodeEnd = p.direction === 'callback' ? p.from : `${p.to}:${p.port}`;
  const drawing =
    seq === undefined
      ? ''
      : `${sequenceSvg(seq, { node: `${node.name} ${nodeEnd}`, controller, title: `${node.name}: ${pathLabel(p)}: ${p.verdict}` }, `${id}-seq`)}` +
        `<ol class="steps">${seq.steps.map((s) => `<li${s.stop === true ? ' class="stop"' : ''}>${esc(stepText(s))}</li>`).join('')}</ol>` +
        (seq.stop === undefined ? '' : `<p class="stops-at"><strong>Traffic stops on the ${esc(seq.stop.side)}:</strong> ${esc(seq.stop.text)}</p>`);
  const ladder = ladderOf(p, report.run.settings.sizes);
  const ladderHtml = ladder === undefined ? '' : `<h4>Transfer ladder</h4>${ladderSvg(ladder, `${id}-ladder`, `${node.name}: transfers by size on ${pathLabel(p)}`)}`;
  return `<div class="path-story" id="${id}" data-verdict="${p.verdict}"><h4>${verdictSpan(p.verdict)} ${esc(pathLabel(p))}</h4><p><strong>${esc(info.title)}:</strong> ${esc(p.summary)}</p><p class="why">${esc(info.explanation)}</p>${advice}${drawing}${ladderHtml}</div>`;
}

/** What a node's cause is, in a line: its session failure, else its failing paths' titles (the first few). */
function causeLine(node: NodeReport, failing: readonly PathReport[]): string {
  if (node.nodeVerdict !== undefined) return `${VERDICTS[node.nodeVerdict].title} (SSH and agent)`;
  const shown = failing.slice(0, 3).map((p) => `${VERDICTS[p.verdict].title}: ${pathLabel(p)}`);
  return failing.length > 3 ? `${shown.join('; ')}; and ${failing.length - 3} more` : shown.join('; ');
}

/** The fix in a line: a shared finding's, else the node's first pasteable fix, else the verdict's hint. */
function fixLine(report: Report, node: NodeReport, failing: readonly PathReport[]): string {
  const shared = failing.map((p) => findingFor(report.findings, node, p)).find((f) => f !== undefined);
  if (shared !== undefined) return `shared with ${shared.nodes.length} nodes: ${shared.remedies[0]?.title ?? shared.summary}`;
  if (node.remedies !== undefined && node.remedies.length > 0) return node.remedies[0]!.title;
  return VERDICTS[node.nodeVerdict ?? failing[0]?.verdict ?? node.verdict].hint;
}

/** One row per node to fix, so the first screen names each, its cause and its fix. */
function glanceHtml(report: Report, told: readonly { node: NodeReport; i: number }[]): string {
  if (told.length === 0) return '';
  const rows = told.map(({ node, i }) => {
    const failing = failingPaths(node);
    return `<tr><th scope="row"><a href="#story-${i}">${esc(node.name)}</a></th><td>${verdictSpan(node.verdict)}</td><td>${esc(causeLine(node, failing))}</td><td>${esc(fixLine(report, node, failing))}</td></tr>`;
  });
  return `<table id="glance"><thead><tr><th>node</th><th>verdict</th><th>cause</th><th>fix</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function nodeStory(report: Report, node: NodeReport, i: number): string {
  const session =
    node.nodeVerdict === undefined
      ? ''
      : `<div class="path-story" data-verdict="${node.nodeVerdict}"><h4>${verdictSpan(node.nodeVerdict)} SSH and agent</h4><p><strong>${esc(VERDICTS[node.nodeVerdict].title)}:</strong> ${esc(VERDICTS[node.nodeVerdict].explanation)}</p><p class="fix"><strong>Fix:</strong> ${esc(VERDICTS[node.nodeVerdict].hint)}</p></div>`;
  const failing = failingPaths(node);
  const paths = failing.map((p, j) => pathStory(report, node, p, `story-${i}-${j}`)).join('');
  const fixes = node.remedies === undefined ? '' : `<h4>Fixes to paste for ${esc(node.name)}</h4>${remediesHtml(node.remedies)}`;
  const facts = `${esc(node.addresses.join(', '))} &middot; profile ${esc(node.profile)}${node.agent === undefined ? '' : ` &middot; agent ${esc(node.agent.flavour)}`}`;
  return `<article class="node-story c-${nodeClass(node)}" id="story-${i}"><h3>${esc(node.name)} ${verdictSpan(node.verdict)}</h3><p class="facts">${facts} &middot; <a href="#row-${i}">matrix row</a></p>${session}${paths}${nicList(node)}${fixes}</article>`;
}

export function storyHtml(report: Report): string {
  const indexed = report.nodes.map((node, i) => ({ node, i, cls: nodeClass(node) }));
  const faulty = indexed.filter((n) => n.cls === 'fault');
  const warned = indexed.filter((n) => n.cls === 'warning');
  const told = [...faulty, ...warned];
  const full = told.slice(0, STORY_NODES).map(({ node, i }) => nodeStory(report, node, i));
  const rest = told.slice(STORY_NODES);
  const more = rest.length === 0 ? '' : `<p class="more">And ${rest.length} more: ${rest.map(({ node, i }) => `<a href="#row-${i}">${esc(node.name)}</a>`).join(', ')}</p>`;
  const nodes = told.length === 0 ? '' : `<section id="failing"><h2>Nodes to fix</h2>${full.join('')}</section>`;
  const glance = glanceHtml(report, told.slice(0, STORY_NODES));
  return `<section id="story"><p class="headline c-${faulty.length > 0 ? 'fault' : warned.length > 0 ? 'warning' : 'ok'}">${esc(headline(report, faulty.length, warned.length))}</p>${glance}${more}</section>${findingsHtml(report)}${nodes}`;
}
