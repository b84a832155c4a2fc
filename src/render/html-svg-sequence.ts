/**
 * A path's sequence (src/render/sequence.ts) as an inline SVG: three lanes (node, path, controller),
 * one arrow per step. What got through is a solid arrow; what was lost is a dashed arrow ending in a
 * cross where it stopped; the step where traffic stops is banded and labelled in words, so nothing
 * depends on colour alone. The SVG carries a <title> and <desc>; the same steps are also written as
 * a list next to it (src/render/html-story.ts), for screen readers and plain-text mail.
 */
import { escapeHtml as esc } from './html-escape.js';
import type { Lane, Sequence, SequenceStep } from './sequence.js';

const WIDTH = 640;
const LANE_X: Record<Lane, number> = { node: 90, path: 320, controller: 550 };
const TOP = 58;
const ROW = 46;


export interface SequenceLabels {
  node: string;
  controller: string;
  title: string;
}

function laneHeads(labels: SequenceLabels, height: number): string {
  const head = (lane: Lane, first: string, second: string): string => {
    const x = LANE_X[lane];
    return `<rect x="${x - 80}" y="6" width="160" height="36" rx="4" class="lane-box${lane === 'path' ? ' lane-path' : ''}"/><text x="${x}" y="21" class="lane-name">${esc(first)}</text><text x="${x}" y="35" class="lane-sub">${esc(second)}</text><line x1="${x}" y1="42" x2="${x}" y2="${height - 8}" class="lane-line${lane === 'path' ? ' lane-line-path' : ''}"/>`;
  };
  return head('node', 'node', labels.node) + head('path', 'path', 'firewalls, NAT, routers') + head('controller', 'controller', labels.controller);
}

/** An arrowhead drawn as a triangle (no marker: the page references nothing, not even url(#id)). */
function head(x: number, y: number, dir: number): string {
  return `<path d="M${x} ${y}L${x - dir * 10} ${y - 5}L${x - dir * 10} ${y + 5}z" class="arrowhead"/>`;
}

/** A cross: the shape that says "lost here" without colour. */
function cross(x: number, y: number): string {
  return `<path d="M${x - 6} ${y - 6}L${x + 6} ${y + 6}M${x - 6} ${y + 6}L${x + 6} ${y - 6}" class="lost-mark"/>`;
}

function arrow(step: SequenceStep, y: number): string {
  const x1 = LANE_X[step.from];
  const far = LANE_X[step.from === 'node' ? 'controller' : 'node'];
  const dir = far > x1 ? 1 : -1;
  const labelX = (x1 + (step.reached === 'other' ? far : LANE_X.path)) / 2;
  const band = step.stop === true ? `<rect x="4" y="${y - 24}" width="${WIDTH - 8}" height="${ROW - 4}" class="stop-band"/><text x="8" y="${y + 16}" class="stop-text">traffic stops here</text>` : '';
  const label = `<text x="${labelX}" y="${y - 6}" class="step-label">${esc(step.label)}</text>`;
  const note = step.note === undefined ? '' : `<text x="${labelX}" y="${y + 15}" class="step-note">${esc(step.note)}</text>`;
  if (step.reached === 'other') {
    // Arrived, and is where traffic stops (a reset from the far end): a wall at the sender, who refused.
    const wall = step.stop === true ? `<rect x="${x1 - 4}" y="${y - 16}" width="8" height="32" class="lost-wall"/>` : '';
    return `${band}<line x1="${x1}" y1="${y}" x2="${far - dir * 8}" y2="${y}" class="passed"/>${head(far, y, dir)}${wall}${label}${note}`;
  }
  if (step.reached === 'path') {
    const end = LANE_X.path;
    return `${band}<line x1="${x1}" y1="${y}" x2="${end}" y2="${y}" class="lost"/>${cross(end, y)}${label}${note}`;
  }
  // Never left the sender (no route), or time passing on the connection (a quiet spell).
  const stub = x1 + dir * 40;
  return `${band}<line x1="${x1}" y1="${y}" x2="${stub}" y2="${y}" class="${step.stop === true ? 'lost' : 'idle'}"/>${step.stop === true ? cross(stub, y) : ''}<text x="${x1 + dir * 48}" y="${y + 4}" class="step-label" text-anchor="${dir > 0 ? 'start' : 'end'}">${esc(step.label)}${step.note === undefined ? '' : ` (${esc(step.note)})`}</text>`;
}

/** The step in words, as the list under the drawing says it. */
export function stepText(step: SequenceStep): string {
  const to = step.from === 'node' ? 'controller' : 'node';
  const how = step.reached === 'other' ? `reached the ${to}` : step.reached === 'path' ? 'stopped on the path' : `did not leave the ${step.from}`;
  return `${step.from}: ${step.label}, ${how}${step.note === undefined ? '' : ` (${step.note})`}${step.stop === true ? ': traffic stops here' : ''}`;
}

export function sequenceSvg(seq: Sequence, labels: SequenceLabels, id: string): string {
  const height = TOP + seq.steps.length * ROW + 12;
  const desc = [...seq.steps.map(stepText), ...(seq.stop === undefined ? [] : [`Traffic stops on the ${seq.stop.side}: ${seq.stop.text}`])].join('. ');
  const arrows = seq.steps.map((s, i) => arrow(s, TOP + 20 + i * ROW)).join('');
  return (
    `<svg class="sequence" role="img" aria-labelledby="${id}-t ${id}-d" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" data-stop="${seq.stop?.side ?? 'none'}">` +
    `<title id="${id}-t">${esc(labels.title)}</title><desc id="${id}-d">${esc(desc)}</desc>` +
    `${laneHeads(labels, height)}${arrows}</svg>`
  );
}

/** The SVG's styles, once per page (print keeps them: black on white, the stop band light grey). */
export const SEQUENCE_STYLE = `
svg.sequence,svg.ladder{display:block;max-width:100%;height:auto;font:12px system-ui,sans-serif;margin:.5rem 0}
svg .lane-box{fill:#f2f3f5;stroke:#5f6670}svg .lane-path{fill:#fff;stroke-dasharray:4 3}
svg .lane-name{text-anchor:middle;font-weight:600;fill:#1d1f23}svg .lane-sub{text-anchor:middle;fill:#4a4f57;font-size:11px}
svg .lane-line{stroke:#8a8f98;stroke-width:1}svg .lane-line-path{stroke-dasharray:4 3}
svg .passed{stroke:#1d1f23;stroke-width:2}svg .arrowhead{fill:#1d1f23}
svg .lost{stroke:#b3261e;stroke-width:2.5;stroke-dasharray:7 4}svg .lost-mark{stroke:#b3261e;stroke-width:3.5}svg .lost-wall{fill:#b3261e}
svg .idle{stroke:#8a8f98;stroke-width:2;stroke-dasharray:2 3}
svg .step-label{text-anchor:middle;fill:#1d1f23;font-weight:600}svg .step-note{text-anchor:middle;fill:#4a4f57;font-size:11px}
svg .stop-band{fill:#fde2e1;stroke:#b3261e;stroke-width:1}svg .stop-text{fill:#8c1d18;font-size:10px;font-weight:700}
`;
