/**
 * A small stored history (five runs, oldest first) for the timeline's tests and snapshots: web1 breaks
 * in run 2 and is fixed in run 4; flappy breaks, is fixed, breaks again; web2 turns slow in the last
 * run; dual's second address stays blocked; solid passes throughout; gone is only in the first runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../src/report.js';
import type { PathKind } from '../../src/verdicts.js';
import { callback, forward, node, report, simpleNode } from './report-builder.js';

export const HISTORY_IDS = ['20250101T030000-a1', '20250102T030000-a2', '20250103T030000-a3', '20250104T030000-a4', '20250105T030000-a5'];

export function historyRuns(): Report[] {
  const web1: PathKind[] = ['ok', 'blocked', 'blocked', 'ok', 'ok'];
  const flappy: PathKind[] = ['ok', 'blocked', 'ok', 'blocked', 'ok'];
  const web2: PathKind[] = ['ok', 'ok', 'ok', 'ok', 'slow'];
  return HISTORY_IDS.map((id, i) =>
    report(id, [
      simpleNode('solid', '10.0.1.2'),
      simpleNode('web1', '10.0.20.2', web1[i]),
      simpleNode('flappy', '10.0.30.2', flappy[i]),
      simpleNode('web2', '10.0.20.3', web2[i]),
      node('dual', ['10.0.5.2', '10.0.4.2'], [callback('10.0.5.2', 63001, 'ok'), callback('10.0.4.2', 63001, 'blocked'), forward('10.0.5.2', 22, 'ok')]),
      ...(i < 2 ? [simpleNode('gone', '10.0.9.2', 'rejected')] : []),
    ]),
  );
}

/** Writes the runs into DIR as `twoway run --history DIR` names them. */
export function writeHistory(dir: string, runs: readonly Report[] = historyRuns()): void {
  for (const r of runs) writeFileSync(join(dir, `${r.run.id}.json`), JSON.stringify(r, null, 2));
}
