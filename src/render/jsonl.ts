/**
 * JSON Lines: the run's events as they happen, one JSON object per line, so a run that is killed
 * still leaves a file whose every line parses (each line is one synchronous write of a whole line).
 * The last line of a run that finished is `finished`: the run, its summary, fleet findings, the
 * fixes per node (decided only once every node is in) and the exit code.
 *
 * Records: started, node-started, agent-event, node-finished, finished. `at` (ISO time) is set on
 * live runs; a stream replayed from a saved report (`twoway render --jsonl`) has none, and no
 * node-started or agent-event lines.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { AgentEvent } from '../protocol.js';
import { getRunExitCode, type FleetFinding, type NodeReport, type Remedy, type Report, type RunInfo } from '../report.js';

export type JsonlRecord = { at?: string } & (
  | { type: 'started'; nodes: number; listeners: { address: string; port: number; proto: string }[] }
  | { type: 'node-started'; node: string }
  | { type: 'agent-event'; node: string; event: AgentEvent }
  | { type: 'node-finished'; done: number; total: number; node: NodeReport }
  | { type: 'finished'; exitCode: number; run: RunInfo; summary: Report['summary']; findings: FleetFinding[]; remedies: Record<string, Remedy[]> }
);

export function jsonlLine(record: JsonlRecord): string {
  return `${JSON.stringify(record)}\n`;
}

export function finishedRecord(report: Report): JsonlRecord {
  const remedies = Object.fromEntries(report.nodes.filter((n) => n.remedies !== undefined).map((n) => [n.name, n.remedies!]));
  return { type: 'finished', exitCode: getRunExitCode(report), run: report.run, summary: report.summary, findings: report.findings, remedies };
}

/** The stream a saved report implies: started, each node in report order, finished. */
export function replayJsonl(report: Report): string {
  const total = report.nodes.length;
  const records: JsonlRecord[] = [
    { type: 'started', nodes: total, listeners: report.run.controller.listeners },
    ...report.nodes.map((node, i): JsonlRecord => ({ type: 'node-finished', done: i + 1, total, node })),
    finishedRecord(report),
  ];
  return records.map(jsonlLine).join('');
}

/** Writes each event to FILE the moment it happens; it fits controller/run/run.ts's RunObserver. */
export class JsonlWriter {
  private fd: number | undefined;

  constructor(
    file: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.fd = openSync(file, 'w');
  }

  private write(record: JsonlRecord): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, jsonlLine({ at: this.now().toISOString(), ...record }));
  }

  started(info: { nodes: number; listeners: { address: string; port: number; proto: string }[] }): void {
    this.write({ type: 'started', ...info });
  }

  nodeStarted(name: string): void {
    this.write({ type: 'node-started', node: name });
  }

  agentEvent(name: string, event: AgentEvent): void {
    this.write({ type: 'agent-event', node: name, event });
  }

  nodeFinished(node: NodeReport, done: number, total: number): void {
    this.write({ type: 'node-finished', done, total, node });
  }

  finished(report: Report): void {
    this.write(finishedRecord(report));
    this.close();
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
