/**
 * What one `twoway run` shows in its JSON Lines stream (pure): when each node got its verdict, and
 * the verdicts themselves. Times are seconds from the bench's launch of the command.
 */
import type { JsonlRecord } from '../../src/render/jsonl.js';

export interface RunTimeline {
  /** Node verdicts by kind, e.g. { ok: 50, blocked: 1 }. */
  verdicts: Record<string, number>;
  /** When the run's listeners were up ('started'). */
  startedS: number | undefined;
  /** When the last node not named in `dropped` got its verdict. */
  lastHealthyVerdictS: number | undefined;
  /** Per dropped node: its verdict, when it came, and how long after the node itself started. */
  dropped: { node: string; verdict: string | undefined; verdictS: number | undefined; afterNodeStartS: number | undefined }[];
}

export function parseJsonl(text: string): JsonlRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JsonlRecord];
      } catch {
        return []; // a run killed mid-line leaves a partial last line
      }
    });
}

export function runTimeline(records: readonly JsonlRecord[], launchedAtMs: number, droppedNodes: readonly string[]): RunTimeline {
  const at = (r: JsonlRecord): number | undefined => (r.at === undefined ? undefined : (Date.parse(r.at) - launchedAtMs) / 1000);
  const started = records.find((r) => r.type === 'started');
  const nodeStarted = new Map(records.flatMap((r) => (r.type === 'node-started' ? [[r.node, at(r)] as const] : [])));
  const finished = records.flatMap((r) => (r.type === 'node-finished' ? [{ node: r.node.name, verdict: r.node.verdict, s: at(r) }] : []));
  const verdicts: Record<string, number> = {};
  for (const f of finished) verdicts[f.verdict] = (verdicts[f.verdict] ?? 0) + 1;
  const healthyTimes = finished.filter((f) => !droppedNodes.includes(f.node)).flatMap((f) => f.s ?? []);
  return {
    verdicts,
    startedS: started === undefined ? undefined : at(started),
    lastHealthyVerdictS: healthyTimes.length === 0 ? undefined : Math.max(...healthyTimes),
    dropped: droppedNodes.map((node) => {
      const f = finished.find((x) => x.node === node);
      const begun = nodeStarted.get(node);
      return {
        node,
        verdict: f?.verdict,
        verdictS: f?.s,
        afterNodeStartS: f?.s !== undefined && begun !== undefined ? f.s - begun : undefined,
      };
    }),
  };
}
