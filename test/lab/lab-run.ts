/**
 * `twoway run` as the lab tests start it: the real CLI in a child process, its JSON report, and the
 * agent events of each node from the JSON Lines stream (the report keeps only conclusions; what the
 * agent itself said, or that it said nothing at all, is only in the stream).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentEvent } from '../../src/protocol.js';
import type { Report } from '../../src/report.js';
import type { JsonlRecord } from '../../src/render/jsonl.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));

export interface LabRun {
  code: number | null;
  report: Report;
  stdout: string;
  stderr: string;
  /** Every agent event the run received, by node name (a node whose agent never ran has none). */
  agentEvents(node: string): AgentEvent[];
}

/** Runs `twoway run --inventory INVENTORY ...extra`, writing its outputs as `<work>/<name>.json|.jsonl`. */
export function runTwoway(work: string, name: string, inventory: string, extra: readonly string[] = []): LabRun {
  const json = join(work, `${name}.json`);
  const jsonl = join(work, `${name}.jsonl`);
  const r = spawnSync(process.execPath, [BIN, 'run', '--inventory', inventory, '--json', json, '--jsonl', jsonl, '--quiet', ...extra], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(r.error, undefined, `twoway run did not finish: ${r.error?.message}`);
  const records = readFileSync(jsonl, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonlRecord);
  return {
    code: r.status,
    report: JSON.parse(readFileSync(json, 'utf8')) as Report,
    stdout: r.stdout,
    stderr: r.stderr,
    agentEvents: (node) => records.flatMap((rec) => (rec.type === 'agent-event' && rec.node === node ? [rec.event] : [])),
  };
}
