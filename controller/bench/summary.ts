/**
 * The bench's results (pure): every run's figures, their medians per mode, the ratios to the SSH
 * floor, and the Markdown table printed and saved beside the JSON.
 */
import type { BenchMode } from './commands.js';
import type { MachineDescription } from './machine.js';
import type { BenchOptions } from './options.js';
import type { RunTimeline } from './run-events.js';

export interface ModeRun {
  mode: BenchMode;
  rep: number;
  wallS: number;
  exitCode: number | null;
  timedOut: boolean;
  /** CPU of the controller side: the command's processes (and, for the baseline, its HTTP server). */
  controllerCpuS: number;
  /** CPU of the node side: the fleet's sshds and everything they ran (sessions, agents, curl). */
  nodeCpuS: number;
  machineBusyS: number;
  /** The machine minus the controller side, the node side and the bench's own sampling: the kernel's network work, and whatever else runs on the machine. */
  otherCpuS: number;
  /** Names of the nodes whose command failed (floor and baseline). */
  failed: string[];
  /** The controller namespace's interface bytes, per node: sent toward the nodes, received from them. */
  bytesPerNode: { sent: number; received: number };
  twoway?: {
    /** twoway's own processes (the CLI and the controller it re-executes in the namespace). */
    ownCpuS: number;
    /** The controller's child processes: its ssh clients (and preflight's firewall reads). */
    childCpuS: number;
    peakRssBytes: number;
    timeline: RunTimeline;
  };
}

export interface BenchResult {
  date: string;
  machine: MachineDescription;
  options: BenchOptions;
  nodes: { healthy: number; dropped: string[]; total: number };
  /** built: this bench built the lab (false: it was up already, with this fleet). */
  lab: { built: boolean; upS: number; downS?: number };
  /** os.loadavg() when the bench started and when it ended: other work on the machine shows here. */
  loadAverage: { start: number[]; end: number[] };
  /** The exact commands, by what they are. */
  commands: Record<string, string>;
  runs: ModeRun[];
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export interface ModeMedians {
  mode: BenchMode;
  wallS: number;
  walls: number[];
  controllerCpuS: number;
  nodeCpuS: number;
  machineBusyS: number;
  otherCpuS: number;
  bytesPerNode: { sent: number; received: number };
  failed: string[];
}

export function modeMedians(runs: readonly ModeRun[], mode: BenchMode): ModeMedians {
  const mine = runs.filter((r) => r.mode === mode);
  const m = (f: (r: ModeRun) => number): number => median(mine.map(f));
  return {
    mode,
    wallS: m((r) => r.wallS),
    walls: mine.map((r) => r.wallS),
    controllerCpuS: m((r) => r.controllerCpuS),
    nodeCpuS: m((r) => r.nodeCpuS),
    machineBusyS: m((r) => r.machineBusyS),
    otherCpuS: m((r) => r.otherCpuS),
    bytesPerNode: { sent: m((r) => r.bytesPerNode.sent), received: m((r) => r.bytesPerNode.received) },
    failed: [...new Set(mine.flatMap((r) => r.failed))].sort(),
  };
}

export interface TwowayMedians {
  ownCpuS: number;
  childCpuS: number;
  peakRssBytes: number;
  lastHealthyVerdictS: number;
  droppedVerdictS: number;
  droppedAfterNodeStartS: number;
  verdicts: Record<string, number>[];
}

export function twowayMedians(runs: readonly ModeRun[]): TwowayMedians {
  const t = runs.flatMap((r) => (r.twoway === undefined ? [] : [r.twoway]));
  return {
    ownCpuS: median(t.map((x) => x.ownCpuS)),
    childCpuS: median(t.map((x) => x.childCpuS)),
    peakRssBytes: median(t.map((x) => x.peakRssBytes)),
    lastHealthyVerdictS: median(t.map((x) => x.timeline.lastHealthyVerdictS ?? NaN)),
    // The slowest dropped node of each run.
    droppedVerdictS: median(t.map((x) => Math.max(...x.timeline.dropped.map((d) => d.verdictS ?? NaN)))),
    droppedAfterNodeStartS: median(t.map((x) => Math.max(...x.timeline.dropped.map((d) => d.afterNodeStartS ?? NaN)))),
    verdicts: t.map((x) => x.timeline.verdicts),
  };
}

const s = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const mib = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : 'n/a');
const kib = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(0)} KiB` : 'n/a');
const verdictText = (v: Record<string, number>): string =>
  Object.entries(v)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

const MODE_LABELS: Record<BenchMode, string> = {
  floor: 'floor: `ssh node true`',
  baseline: 'baseline: ssh + `curl` of 1 MiB',
  twoway: '`twoway run` (defaults)',
};

function failedText(m: ModeMedians, dropped: readonly string[]): string {
  if (m.failed.length === 0) return 'none';
  return m.failed.map((n) => (dropped.includes(n) ? `${n} (its callbacks are dropped)` : n)).join(', ');
}

export function renderMarkdown(result: BenchResult): string {
  const modes = (['floor', 'baseline', 'twoway'] as const).map((mode) => modeMedians(result.runs, mode));
  const [floor, baseline, twoway] = modes as [ModeMedians, ModeMedians, ModeMedians];
  const t = twowayMedians(result.runs);
  const { machine, options, nodes } = result;
  const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  const lines = [
    `## twoway bench: ${nodes.healthy} healthy nodes + ${nodes.dropped.length} with dropped callbacks, concurrency ${options.concurrency}, ${options.reps} run(s) of each mode, alternating`,
    '',
    `${result.date}; ${machine.cores} cores (${machine.cpuModel}), ${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB, ${machine.kernel}, Node ${machine.node}; ` +
      `load average ${load(result.loadAverage.start)} at the start, ${load(result.loadAverage.end)} at the end. ` +
      `Lab: ${result.lab.built ? `built in ${s(result.lab.upS)} s` : 'already up'}${result.lab.downS === undefined ? '' : `, down in ${s(result.lab.downS)} s`}.`,
    '',
    `| mode (${nodes.total} nodes) | wall, median (s) | each run (s) | / floor | CPU: controller side (s) | CPU: node side (s) | CPU: whole machine (s) | per node: sent / received | failed nodes |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...modes.map(
      (m) =>
        `| ${MODE_LABELS[m.mode]} | ${s(m.wallS)} | ${m.walls.map((w) => s(w)).join(', ')} | ${s(m.wallS / floor.wallS, 2)}x | ${s(m.controllerCpuS)} | ${s(m.nodeCpuS)} | ${s(m.machineBusyS)} | ${kib(m.bytesPerNode.sent)} / ${kib(m.bytesPerNode.received)} | ${failedText(m, nodes.dropped)} |`,
    ),
    '',
    '| `twoway run`, medians | |',
    '|---|---|',
    `| controller CPU: twoway's own processes | ${s(t.ownCpuS, 2)} s |`,
    `| controller CPU: its child processes (ssh clients) | ${s(t.childCpuS, 2)} s |`,
    `| node side: sshd, sessions, agents | ${s(twoway.nodeCpuS, 2)} s |`,
    `| rest of the machine: kernel network work, other load | ${s(twoway.otherCpuS, 2)} s |`,
    `| controller peak RSS (VmHWM) | ${mib(t.peakRssBytes)} |`,
    `| last healthy node's verdict, after launch | ${s(t.lastHealthyVerdictS)} s |`,
    `| node with dropped callbacks: verdict after launch | ${s(t.droppedVerdictS)} s (${s(t.droppedAfterNodeStartS)} s after that node started) |`,
    `| node verdicts, per run | ${t.verdicts.map(verdictText).join('; ')} |`,
    '',
    `Ratios of the medians: twoway / floor ${s(twoway.wallS / floor.wallS, 2)}x, baseline / floor ${s(baseline.wallS / floor.wallS, 2)}x.`,
    'Controller side: the command and its children (for the baseline, also its HTTP server). Node side: the fleet\'s sshds and all they ran.',
    '',
    'Commands:',
    '',
    ...Object.entries(result.commands).map(([what, command]) => `- ${what}: \`${command}\``),
    '',
  ];
  return lines.join('\n');
}
