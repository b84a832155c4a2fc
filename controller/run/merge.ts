/**
 * `twoway merge`: the reports of several controllers (one per shard, site or update manager) joined
 * into one, as if one controller had tested every node. Each node's own diagnosis is kept as its
 * controller made it; what depends on the other nodes is made again across all of them: the fleet
 * findings (two nodes of one subnet in different shards make a finding neither shard could), each
 * node's fixes (a finding changes them), and the summary. Pure: reports in, a report out.
 *
 * Refused, as bad input: a node in two reports (which verdict would be the truth?), reports whose
 * run settings that change verdicts differ (their verdicts do not add up: "slow" under --min-mbps 10
 * is not slow under --min-mbps 5), a shard given twice, shard counts that differ, and,
 * unless `partial`, a shard missing (a merge that silently tested half the fleet would exit 0).
 */
import { createHash } from 'node:crypto';
import { InputError } from '../../src/errors.js';
import type { ProfileHints } from '../../src/profiles.js';
import { REPORT_VERSION, summarise, type MergedRun, type NodeReport, type Report, type RunInfo } from '../../src/report.js';
import { shardLabel } from '../../src/shard.js';
import { diagnoseFleet } from '../diagnose/fleet.js';

export interface MergeInput {
  /** Where the report was read from, for messages and the merged report's record. */
  file: string;
  report: Report;
}

export interface MergeOptions {
  /** The hints of a profile by name; undefined: the profile is unknown here (a --profiles file's). */
  hintsOf(profile: string): ProfileHints | undefined;
  /** Merge what is there when shards are missing, and say so in the report, instead of refusing. */
  partial?: boolean;
}

/**
 * The run settings that change verdicts (or what a verdict says); a merge refuses reports that differ
 * in any. Absent on one side, a setting is not compared: FTP's exist only where some node was tested
 * over FTP, the thresholds and deadlines only in reports of a twoway that records them.
 */
const VERDICT_SETTINGS = ['sizes', 'httpPort', 'httpsPort', 'idleHoldMs', 'firmwareBytes', 'ftp', 'minMbps', 'agentTimeoutMs', 'forwardTimeoutMs'] as const;

const FIELD = '<report>';

export function mergeReports(inputs: readonly MergeInput[], options: MergeOptions): Report {
  if (inputs.length === 0) throw new InputError('nothing to merge: give the JSON reports of the runs', { field: FIELD });
  for (const input of inputs) {
    for (const field of ['settings', 'controller'] as const) {
      if (input.report.run[field] === undefined) throw new InputError('missing in the report (written by an older twoway: re-run it)', { file: input.file, field: `run.${field}` });
    }
  }
  const ordered = inShardOrder(inputs);
  checkShards(ordered, options.partial === true);
  checkSettings(ordered);
  const nodes = uniqueNodes(ordered);
  const first = ordered[0]!.report.run.settings;
  const hints = new Map<string, ProfileHints>();
  for (const { node, file } of nodes) {
    const h = options.hintsOf(node.profile);
    if (h === undefined) throw new InputError(`node "${node.name}" has profile "${node.profile}", which is neither built in nor in --profiles: give the --profiles file its run used`, { file, field: FIELD });
    hints.set(node.profile, h);
  }
  const { nodes: reports, findings } = diagnoseFleet(
    nodes.map(({ node, manager }) => withManager(withoutRemedies(node), manager, first.manager)),
    { httpPort: first.httpPort, httpsPort: first.httpsPort, hintsOf: (node) => hints.get(node.profile)! },
  );
  return { version: REPORT_VERSION, run: mergedRun(ordered), nodes: reports, findings, summary: summarise(reports) };
}

/** Shards in order (1/N first), then the reports of runs without --shard in the order given. */
function inShardOrder(inputs: readonly MergeInput[]): MergeInput[] {
  const rank = (input: MergeInput): number => input.report.run.shard?.index ?? Number.MAX_SAFE_INTEGER;
  return inputs.map((input, i) => ({ input, i })).sort((a, b) => rank(a.input) - rank(b.input) || a.i - b.i).map(({ input }) => input);
}

function checkShards(inputs: readonly MergeInput[], partial: boolean): void {
  const sharded = inputs.filter((input) => input.report.run.shard !== undefined);
  if (sharded.length === 0) return;
  const count = sharded[0]!.report.run.shard!.count;
  const byIndex = new Map<number, string>();
  for (const { file, report } of sharded) {
    const shard = report.run.shard!;
    if (shard.count !== count) throw new InputError(`shard ${shardLabel(shard)} is of a split in ${shard.count}, but ${sharded[0]!.file} is of a split in ${count}: merge the reports of one split`, { file, field: FIELD });
    const other = byIndex.get(shard.index);
    if (other !== undefined) throw new InputError(`shard ${shardLabel(shard)} is also ${other}: give each shard's report once`, { file, field: FIELD });
    byIndex.set(shard.index, file);
  }
  const missing = missingShards(inputs);
  if (missing.length > 0 && !partial) {
    throw new InputError(`shard(s) ${missing.join(', ')} missing: their nodes were not tested in these reports (--partial merges what is there and says so)`, { field: FIELD });
  }
}

/** The shards of the split that no report covers, as I/N. */
export function missingShards(inputs: readonly { report: Report }[]): string[] {
  const shards = inputs.flatMap(({ report }) => (report.run.shard === undefined ? [] : [report.run.shard]));
  if (shards.length === 0) return [];
  const count = shards[0]!.count;
  const have = new Set(shards.map((s) => s.index));
  return Array.from({ length: count }, (_, i) => i + 1)
    .filter((index) => !have.has(index))
    .map((index) => shardLabel({ index, count }));
}

function checkSettings(inputs: readonly MergeInput[]): void {
  const [first, ...rest] = inputs;
  for (const input of rest) {
    for (const key of VERDICT_SETTINGS) {
      const a = first!.report.run.settings[key];
      const b = input.report.run.settings[key];
      if (a === undefined || b === undefined) continue;
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        throw new InputError(
          `run setting ${key} is ${JSON.stringify(b)} here but ${JSON.stringify(a)} in ${first!.file}: verdicts of runs with different settings do not add up; run every shard with the same flags`,
          { file: input.file, field: `run.settings.${key}` },
        );
      }
    }
  }
}

function uniqueNodes(inputs: readonly MergeInput[]): { node: NodeReport; file: string; manager: string | undefined }[] {
  const fileOf = new Map<string, string>();
  const nodes: { node: NodeReport; file: string; manager: string | undefined }[] = [];
  for (const { file, report } of inputs) {
    for (const node of report.nodes) {
      const other = fileOf.get(node.name);
      if (other !== undefined) {
        throw new InputError(`node "${node.name}" is in ${other} and in ${file}: each node must be tested by one controller only (the same report twice, or overlapping inventories?)`, { file, field: FIELD });
      }
      fileOf.set(node.name, file);
      nodes.push({ node, file, manager: report.run.settings.manager });
    }
  }
  return nodes;
}

/**
 * The merged run's manager is the first report's: a node judged by another (its run's --manager, or
 * its inventory's `manager:`) says which, and a node judged by the merged run's says nothing.
 */
function withManager(node: NodeReport, runManager: string | undefined, mergedManager: string | undefined): NodeReport {
  const { manager: own, ...rest } = node;
  const judgedBy = own ?? runManager;
  return judgedBy === undefined || judgedBy === mergedManager ? rest : { ...rest, manager: judgedBy };
}

/** The node as its controller diagnosed it, without the fixes its controller's fleet step chose. */
function withoutRemedies(node: NodeReport): NodeReport {
  const { remedies: _chosenByItsController, ...rest } = node;
  return rest;
}

function mergedRun(inputs: readonly MergeInput[]): RunInfo {
  const runs = inputs.map(({ report }) => report.run);
  const started = runs.map((r) => r.startedAt).sort()[0]!;
  const finished = runs.map((r) => r.finishedAt).sort().at(-1)!;
  const peers: RunInfo['listenerPeers'] = {};
  for (const r of runs) {
    for (const [address, seen] of Object.entries(r.listenerPeers ?? {})) {
      const sum = peers[address] ?? { accepted: 0, withRequest: 0 };
      peers[address] = { accepted: sum.accepted + seen.accepted, withRequest: sum.withRequest + seen.withRequest };
    }
  }
  const notRecorded = runs.reduce((sum, r) => sum + (r.connectionsNotRecorded ?? 0), 0);
  const listeners = new Map(runs.flatMap((r) => r.controller.listeners).map((l) => [`${l.proto}|${l.address}|${l.port}`, l]));
  const ftp = runs.find((r) => r.settings.ftp !== undefined)?.settings.ftp;
  const ms = Date.parse(finished) - Date.parse(started);
  return {
    id: mergedId(runs, started),
    startedAt: started,
    finishedAt: finished,
    ms: Number.isFinite(ms) ? ms : Math.max(...runs.map((r) => r.ms)),
    interrupted: runs.some((r) => r.interrupted),
    merged: inputs.map(({ file, report }) => mergedRecord(file, report)),
    controller: {
      listeners: [...listeners.values()],
      // Each controller has its own certificate: all of them, in shard order (an empty shard made none).
      fingerprint256: [...new Set(runs.map((r) => r.controller.fingerprint256).filter((f) => f !== ''))].join(', '),
    },
    // The verdict settings are the same in every report (checked); nodes tested at once add up.
    settings: { ...runs[0]!.settings, concurrency: runs.reduce((sum, r) => sum + r.settings.concurrency, 0), ...(ftp === undefined ? {} : { ftp }) },
    strayRequests: runs.reduce((sum, r) => sum + r.strayRequests, 0),
    ...(notRecorded === 0 ? {} : { connectionsNotRecorded: notRecorded }),
    listenerPeers: peers,
    halfOpenSampled: runs.every((r) => r.halfOpenSampled),
  };
}

function mergedRecord(file: string, report: Report): MergedRun {
  const run = report.run;
  return {
    file,
    id: run.id,
    startedAt: run.startedAt,
    interrupted: run.interrupted,
    ...(run.shard === undefined ? {} : { shard: run.shard }),
    nodes: report.nodes.length,
    controller: run.controller,
    settings: run.settings,
  };
}

/** A run id of the history's pattern (src/history.ts): the earliest start, and a digest of the runs joined, so the same merge gets the same id. */
function mergedId(runs: readonly RunInfo[], started: string): string {
  const stamp = started.replace(/[-:]/g, '').slice(0, 15);
  const digest = createHash('sha256').update(runs.map((r) => r.id).sort().join('\n')).digest('hex').slice(0, 6);
  return `${/^\d{8}T\d{6}$/.test(stamp) ? stamp : '00000000T000000'}-${digest}`;
}
