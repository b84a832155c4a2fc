/**
 * The run itself, in the process that runs the controller (the supervised child): progress, stop
 * requests, preflight, the firewall opening, the live view, the report files and the exit code.
 */
import { runTwoway, type RunOptions } from '../../controller/run/run.js';
import { openIngress, removeStaleOpenings, type IngressOpening } from '../../controller/firewall/open-ingress.js';
import { renderPreflight } from '../../controller/run/preflight.js';
import type { Report } from '../report.js';
import { renderTerminal } from '../render/terminal.js';
import { renderNagios, renderNagiosUnknown } from '../render/nagios.js';
import { plainTail } from '../render/plain-text.js';
import { replayJsonl } from '../render/jsonl.js';
import { writeFileAtomic } from '../render/write-file.js';
import { hostPort } from '../endpoint.js';
import { shardLabel } from '../shard.js';
import { outputFlagsOf } from './output-options.js';
import { openJsonl, writeReportFiles } from './outputs.js';
import { ProgressReporter, progressMode } from './progress.js';
import { finishWithBaseline, planBaseline } from './baseline.js';
import { watchStopRequests } from './stop-requests.js';
import { parseLiveAddress } from './live-address.js';
import { startLiveServer } from './live.js';
import { emptyShardReport } from './empty-shard.js';
import { preflightFor } from './preflight-checks.js';
import type { RunFlags } from './run.js';

/** Runs the prepared run to its report; `abort` is the signal `options` were made with, aborted on a stop request. */
export async function runController(flags: RunFlags, options: RunOptions, abort: AbortController): Promise<number> {
  const reporter = new ProgressReporter(progressMode({ quiet: flags.quiet, isTTY: process.stderr.isTTY === true, ci: process.env.CI }), {
    write: (text) => process.stderr.write(text),
    get columns() {
      return process.stderr.columns;
    },
  });
  // From here to the end a stop request (a signal, or the supervisor gone) stops the run and
  // the report is still written; a second one ends the process at once.
  let stoppedWith: number | undefined;
  const stopWatching = watchStopRequests((request) => {
    if (request.nth > 1) process.exit(request.exitCode);
    stoppedWith = request.exitCode;
    reporter.message(`twoway: ${request.reason}: stopping; every node still gets a result (again to quit at once)`);
    abort.abort();
  });
  try {
    const exitCode = await runPrepared(flags, options, reporter);
    // A stopped run's report is marked interrupted, which --nagios answers as UNKNOWN (3) itself.
    return flags.nagios ? exitCode : (stoppedWith ?? exitCode);
  } finally {
    stopWatching();
  }
}

async function runPrepared(flags: RunFlags, options: RunOptions, reporter: ProgressReporter): Promise<number> {
  const baseline = planBaseline(flags);
  for (const note of baseline.notes) process.stderr.write(`${note}\n`);
  const progress = (line: string): void => reporter.message(line);
  if (options.shard !== undefined && options.nodes.length === 0) {
    progress(`twoway: shard ${shardLabel(options.shard)} holds none of the inventory's nodes: nothing to test; the report says so`);
    reporter.stop();
    const report = emptyShardReport(options, options.shard);
    if (flags.jsonl !== undefined) writeFileAtomic(flags.jsonl, replayJsonl(report));
    return finishReport(flags, report, baseline);
  }
  const stale = removeStaleOpeningsQuietly();
  if (stale.length > 0) progress(`twoway: removed firewall openings left by runs that died: ${stale.join(', ')}`);

  const { items: checks, addressed } = await preflightFor(options, flags.openFirewall);
  options.addressed = addressed;
  const notOk = checks.filter((c) => c.status !== 'ok');
  if (notOk.length > 0) process.stderr.write(`twoway: preflight (the controller's side):\n${renderPreflight(notOk)}\n`);
  if (notOk.some((c) => c.status === 'fail')) {
    if (!flags.nagios) return 2;
    const unknown = renderNagiosUnknown('preflight failed (see stderr)');
    process.stdout.write(unknown.text);
    return unknown.exitCode;
  }

  // Whatever ends this process (the run's end, an error, a second Ctrl-C), the opening goes with it.
  let opening: IngressOpening | undefined;
  const closeOpening = (): void => {
    const removed = opening?.close() ?? [];
    if (removed.length > 0) progress(`twoway: --open-firewall: removed ${removed.join(', ')}`);
  };
  process.on('exit', closeOpening);
  if (flags.openFirewall) {
    options.onListening = (ports) => {
      opening = openIngress(ports);
      progress(`twoway: --open-firewall: tcp ${opening.ports.join(', ')} accepted ${opening.hookedInto.length > 0 ? `via ${opening.hookedInto.join(', ')}` : '(no input filter chain: nothing to open)'}`);
    };
  }
  const jsonl = flags.jsonl === undefined ? undefined : openJsonl(flags.jsonl);
  const live = flags.live === undefined ? undefined : await startLiveServer(parseLiveAddress(flags.live), 'twoway run (live)');
  // Shown even with --quiet: without it nobody can open the page.
  if (live !== undefined) process.stderr.write(`twoway: live view: ${live.url}\n`);

  let report: Report;
  try {
    report = await runTwoway(options, {
      started: (info) => {
        jsonl?.started(info);
        progress(`twoway: testing ${info.nodes} node(s); listening on ${info.listeners.map((l) => `${l.proto}://${hostPort(l.address, l.port)}`).join(', ')}`);
        reporter.started(info.nodes);
        live?.started(info);
      },
      nodeStarted: (name) => jsonl?.nodeStarted(name),
      agentEvent: (name, event) => {
        jsonl?.agentEvent(name, event);
        if (flags.verbose) progress(`  ${name}: ${JSON.stringify(event)}`);
      },
      sessionEnded: (name, destination, stderr) => {
        if (flags.verbose) for (const line of verboseStderr(name, destination, stderr)) progress(line);
      },
      nodeFinished: (node, done, total) => {
        jsonl?.nodeFinished(node, done, total);
        reporter.nodeFinished(node, done, total);
        live?.nodeFinished(node, done, total);
      },
      finished: (r) => {
        jsonl?.finished(r);
        void live?.finished(r);
      },
    });
  } finally {
    await live?.close();
    closeOpening();
    process.off('exit', closeOpening);
    reporter.stop();
    jsonl?.close();
  }
  return finishReport(flags, report, baseline);
}

/** The report's files, the terminal report, the baseline comparison; the exit code. */
function finishReport(flags: RunFlags, report: Report, baseline: ReturnType<typeof planBaseline>): number {
  // Written also after an interrupt: every node has a result then.
  writeReportFiles(report, outputFlagsOf(flags));
  const compared = finishWithBaseline(baseline, report);
  // --nagios: the plug-in line is all of stdout, and its exit code is the plug-in's (README: Monitoring plug-ins).
  if (flags.nagios) {
    const plugin = renderNagios(report);
    process.stdout.write(plugin.text);
    return plugin.exitCode;
  }
  const color = flags.color && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  process.stdout.write(renderTerminal(report, { color }));
  process.stdout.write(compared.text);
  return compared.exitCode;
}

/** Lines of a session's stderr --verbose shows: the last ones, each plain (it came from the node) and bounded. */
const VERBOSE_STDERR_LINES = 40;
const VERBOSE_STDERR_WIDTH = 400;

export function verboseStderr(name: string, destination: string, stderr: string): string[] {
  const tail = plainTail(stderr, VERBOSE_STDERR_LINES, VERBOSE_STDERR_WIDTH);
  return tail.length === 0 ? [] : [`  ${name}: stderr of the SSH session to ${destination}:`, ...tail.map((line) => `  ${name}| ${line}`)];
}

/** A crashed run's firewall opening is removed at the next start; without root (or tools) there is nothing to remove. */
function removeStaleOpeningsQuietly(): string[] {
  if (process.getuid?.() !== 0) return [];
  try {
    return removeStaleOpenings();
  } catch {
    return [];
  }
}
