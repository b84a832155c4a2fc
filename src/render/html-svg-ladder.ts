/**
 * The transfer ladder of a size-related fault as an inline SVG: per direction, one rung per transfer
 * size, each passed (filled, a check mark), stuck (filled to the offset where it stopped, then a
 * dashed outline and a cross, with the offset written), or without a result (dashed, "no result").
 * Under it the path MTU and the throughput both ways where the evidence has them. Shape and words
 * carry the outcome, colour only repeats it.
 */
import type { PathEvidence } from '../evidence.js';
import type { PathReport } from '../report.js';
import { escapeHtml as esc } from './html-escape.js';
import { sizeLabel } from '../size-label.js';

export type RungResult = 'passed' | 'stuck' | 'unknown';

export interface Rung {
  direction: 'download' | 'upload';
  size: number;
  result: RungResult;
  /** Stuck rungs: the byte offset the receiver reached, where known. */
  stallAt?: number;
}

export interface Ladder {
  rungs: Rung[];
  /** Measured path MTU (bytes), when the evidence carries one. */
  pathMtu?: number;
  /** Mbit/s toward the node (downloads) and toward the controller (uploads), where measured. */
  throughput: { toNode?: number; toController?: number };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Size of a transfer probe from its id (controller/run/plan.ts: dl-<tag>-<size>, ul-<tag>-<size>). */
function probeRung(id: string): { direction: 'download' | 'upload'; size: number } | undefined {
  const m = /^(dl|ul)-.*-(\d+)$/.exec(id);
  return m === null ? undefined : { direction: m[1] === 'dl' ? 'download' : 'upload', size: Number(m[2]) };
}

/**
 * Figures other evidence may carry: a path MTU (read as `pathMtu` or `mtu`) and throughput. Read
 * loosely so a field added to the evidence later shows here as soon as a report has it.
 */
function optionalFigures(e: PathEvidence): Pick<Ladder, 'pathMtu' | 'throughput'> {
  if (e.kind === 'size-boundary') {
    // The controller's bisection (controller/host/path-mtu.ts); a figure only when it closed on one.
    const measured = e.pathMtu?.find((m) => m.measured && m.mtu !== undefined)?.mtu;
    const { download: toNode, upload: toController } = e.passingMbps ?? {};
    return {
      ...(measured === undefined ? {} : { pathMtu: measured }),
      throughput: { ...(toNode === undefined ? {} : { toNode }), ...(toController === undefined ? {} : { toController }) },
    };
  }
  // Older reports (legacy evidence) carried whatever figures they had under these names.
  const f = e as unknown as Record<string, unknown>;
  const pathMtu = num(f.pathMtu) ?? num(f.mtu);
  const toNode = num(f.throughputMbps);
  return { ...(pathMtu === undefined ? {} : { pathMtu }), throughput: toNode === undefined ? {} : { toNode } };
}

/** The ladder of a path whose fault depends on size; undefined for other paths. */
export function ladderOf(path: PathReport, sizes: readonly number[]): Ladder | undefined {
  const e = path.evidence;
  const f = e as unknown as Record<string, unknown>;
  const sizeRelated = e.kind === 'size-boundary' || (e.kind === 'legacy' && path.verdict === 'mtu-blackhole');
  if (!sizeRelated || sizes.length === 0) return undefined;
  const first = typeof f.probe === 'string' ? probeRung(f.probe) : undefined;
  const stuck = (Array.isArray(f.stuck) ? f.stuck : []).flatMap((id) => (typeof id === 'string' ? [probeRung(id)] : [])).filter((r) => r !== undefined);
  const stallAt = num(f.stallAt);
  const passing = { download: num(f.largestPassingDownload), upload: num(f.largestPassingUpload) };
  const directions: ('download' | 'upload')[] = ['download'];
  if (passing.upload !== undefined || stuck.some((r) => r.direction === 'upload')) directions.push('upload');
  const rungs: Rung[] = directions.flatMap((direction) => {
    const limit = passing[direction];
    // Reports from before the stuck list: the first size above the largest passing one is where it stopped.
    const legacyFirst = stuck.length === 0 && direction === 'download' ? sizes.find((s) => limit === undefined || s > limit) : undefined;
    return sizes.map((size): Rung => {
      if (limit !== undefined && size <= limit) return { direction, size, result: 'passed' };
      const isFirst = (first?.direction === direction && first.size === size) || legacyFirst === size;
      if (isFirst || stuck.some((r) => r.direction === direction && r.size === size)) return { direction, size, result: 'stuck', ...(isFirst && stallAt !== undefined ? { stallAt } : {}) };
      return { direction, size, result: 'unknown' };
    });
  });
  return { rungs, ...optionalFigures(e) };
}


const RUNG_W = 118;
const RUNG_H = 26;
const LEFT = 190;

function rungSvg(r: Rung, x: number, y: number): string {
  const box = `x="${x}" y="${y}" width="${RUNG_W}" height="${RUNG_H}"`;
  const label = `<text x="${x + RUNG_W / 2}" y="${y + RUNG_H + 13}" class="rung-size">${esc(sizeLabel(r.size))}</text>`;
  if (r.result === 'passed') return `<rect ${box} class="rung-passed"/><text x="${x + RUNG_W / 2}" y="${y + 17}" class="rung-text rung-text-passed">&#x2713; passed</text>${label}`;
  if (r.result === 'unknown') return `<rect ${box} class="rung-unknown"/><text x="${x + RUNG_W / 2}" y="${y + 17}" class="rung-text">no result</text>${label}`;
  const filled = r.stallAt === undefined ? 0 : Math.max(2, Math.min(RUNG_W, (r.stallAt / r.size) * RUNG_W));
  const at = r.stallAt === undefined ? 'stuck' : `stuck at ${sizeLabel(r.stallAt)}`;
  return `<rect ${box} class="rung-stuck"/>${filled > 0 ? `<rect x="${x}" y="${y}" width="${filled.toFixed(1)}" height="${RUNG_H}" class="rung-reached"/>` : ''}<text x="${x + RUNG_W / 2}" y="${y + 17}" class="rung-text rung-text-stuck">&#x2717; ${esc(at)}</text>${label}`;
}

/** The figures under the ladder, in words (also used by the text list). */
export function ladderFigures(l: Ladder): string[] {
  const mbps = (v: number | undefined): string => (v === undefined ? 'not measured' : `${v} Mbit/s`);
  return [
    `path MTU: ${l.pathMtu === undefined ? 'not measured' : `${l.pathMtu} bytes`}`,
    `throughput toward the node: ${mbps(l.throughput.toNode)}; toward the controller: ${mbps(l.throughput.toController)}`,
  ];
}

export function ladderSvg(l: Ladder, id: string, title: string): string {
  const directions = [...new Set(l.rungs.map((r) => r.direction))];
  const columns = Math.max(...directions.map((d) => l.rungs.filter((r) => r.direction === d).length));
  const width = LEFT + columns * (RUNG_W + 12) + 8;
  const rowH = RUNG_H + 30;
  const height = 12 + directions.length * rowH + 44;
  const rows = directions
    .map((d, i) => {
      const y = 12 + i * rowH;
      const name = d === 'download' ? 'download (to the node)' : 'upload (to the controller)';
      return `<text x="8" y="${y + 17}" class="rung-row">${name}</text>${l.rungs
        .filter((r) => r.direction === d)
        .map((r, j) => rungSvg(r, LEFT + j * (RUNG_W + 12), y))
        .join('')}`;
    })
    .join('');
  const figures = ladderFigures(l)
    .map((text, i) => `<text x="8" y="${12 + directions.length * rowH + 14 + i * 16}" class="rung-figure">${esc(text)}</text>`)
    .join('');
  const desc = l.rungs.map((r) => `${r.direction} ${sizeLabel(r.size)}: ${r.result === 'stuck' && r.stallAt !== undefined ? `stuck at byte ${r.stallAt}` : r.result}`).concat(ladderFigures(l)).join('; ');
  return `<svg class="ladder" role="img" aria-labelledby="${id}-t ${id}-d" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>${rows}${figures}</svg>`;
}

export const LADDER_STYLE = `
svg .rung-passed{fill:#a8dcb0;stroke:#1e6b2a}svg .rung-unknown{fill:#fff;stroke:#8a8f98;stroke-dasharray:4 3}
svg .rung-stuck{fill:#fff;stroke:#b3261e;stroke-width:2;stroke-dasharray:6 3}svg .rung-reached{fill:#f29b9b}
svg .rung-text{text-anchor:middle;font-size:11px;fill:#1d1f23}svg .rung-text-passed{fill:#0f3d17}svg .rung-text-stuck{fill:#8c1d18;font-weight:700}
svg .rung-size{text-anchor:middle;font-size:11px;fill:#4a4f57}svg .rung-row{font-weight:600;fill:#1d1f23}svg .rung-figure{fill:#1d1f23}
`;
