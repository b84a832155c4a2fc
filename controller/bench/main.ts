/**
 * `npm run bench`: builds a lab fleet of N healthy nodes plus one whose callbacks are dropped (and
 * nothing else), runs the SSH floor, the ssh+curl baseline and `twoway run` in turn at the same
 * concurrency, R times each, and writes the figures as JSON and a Markdown table. The lab is torn
 * down at the end, also after an error or a signal, unless --keep-lab.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TwowayError } from '../../src/errors.js';
import { type FleetSpec, fleetScenarios } from '../lab/fleet.js';
import { labDown, labStatus, labUp } from '../lab/index.js';
import { CTL_IFACE, CTL_NETNS } from '../lab/plan.js';
import { scenarioAddresses } from '../lab/scenarios-model.js';
import { labEnv } from '../lab/run.js';
import { type BaselineServer, startBaselineServer } from './baseline-server.js';
import { BENCH_MODES, type BenchMode, type FleetTarget, benchCommand, failedNodes, shellLine } from './commands.js';
import { describeMachine } from './machine.js';
import { nodeSideCpu } from './node-side.js';
import { measure, netnsInterfaceBytes } from './measure.js';
import { BENCH_USAGE, type BenchOptions, parseBenchArgs } from './options.js';
import { parseJsonl, runTimeline } from './run-events.js';
import { type BenchResult, type ModeRun, renderMarkdown } from './summary.js';

const TWOWAY_BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** The node with dropped callbacks: one, as issue 16 asks. */
const DROPPED = 1;

const say = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

/** Each mode's deadline: far beyond what a working run takes, so only a hang reaches it. */
function timeoutMs(mode: BenchMode, nodes: number): number {
  return mode === 'twoway' ? 600_000 + nodes * 2_000 : 120_000 + nodes * 1_000;
}

/** Rep r runs the modes rotated by r, so no mode always runs first (on a cold cache) or last. */
function modeOrder(rep: number): BenchMode[] {
  const k = rep % BENCH_MODES.length;
  return [...BENCH_MODES.slice(k), ...BENCH_MODES.slice(0, k)];
}

interface Session {
  target: FleetTarget;
  runDir: string;
  nodes: number;
  droppedNodes: string[];
  /** Node names by address. */
  names: Map<string, string>;
  /** The fleet's sshd listeners, whose trees are the node side. */
  sshdPids: number[];
  signal: AbortSignal;
}

/** Sessions end within moments of their SSH client; seconds mean one hangs. */
const SESSIONS_END_WAIT_MS = 5_000;

async function runMode(session: Session, mode: BenchMode, rep: number): Promise<ModeRun> {
  const twowayFiles = { bin: TWOWAY_BIN, json: join(session.runDir, `twoway-${rep}.json`), jsonl: join(session.runDir, `twoway-${rep}.jsonl`) };
  const cmd = benchCommand(mode, session.target, twowayFiles);
  let server: BaselineServer | undefined;
  try {
    if (mode === 'baseline') server = await startBaselineServer();
    const nodeBefore = await nodeSideCpu(session.sshdPids, SESSIONS_END_WAIT_MS);
    const serverCpuBefore = server?.cpuS() ?? 0;
    const m = await measure({
      command: cmd.command,
      args: cmd.args,
      env: labEnv({ NO_COLOR: '1' }),
      timeoutMs: timeoutMs(mode, session.nodes),
      statFile: join(session.runDir, `${mode}-${rep}.stat`),
      ...(cmd.mainProcess === undefined ? {} : { mainProcess: cmd.mainProcess }),
      interfaceBytes: () => netnsInterfaceBytes(CTL_NETNS, CTL_IFACE),
      signal: session.signal,
    });
    const serverCpuS = (server?.cpuS() ?? 0) - serverCpuBefore;
    const nodeAfter = await nodeSideCpu(session.sshdPids, SESSIONS_END_WAIT_MS);
    if (!nodeAfter.quiet) say(`${mode} run ${rep}: SSH sessions still open ${SESSIONS_END_WAIT_MS} ms after the run; the node side's CPU misses theirs`);
    const nodeCpuS = nodeAfter.cpuS - nodeBefore.cpuS;
    writeFileSync(join(session.runDir, `${mode}-${rep}.out`), `${m.stdout}${m.stderr === '' ? '' : `\n--- stderr\n${m.stderr}`}`);
    const controllerCpuS = m.treeCpuS + serverCpuS;
    const run: ModeRun = {
      mode,
      rep,
      wallS: m.wallS,
      exitCode: m.exitCode,
      timedOut: m.timedOut,
      controllerCpuS,
      nodeCpuS,
      machineBusyS: m.machineBusyS,
      otherCpuS: m.machineBusyS - controllerCpuS - nodeCpuS - m.benchSelfS,
      failed: mode === 'twoway' ? [] : failedNodes(m.stdout).map((address) => session.names.get(address) ?? address),
      // Sent by the controller side is what its interface transmitted toward the nodes.
      bytesPerNode: { sent: m.bytes.tx / session.nodes, received: m.bytes.rx / session.nodes },
    };
    if (mode === 'twoway') {
      let jsonl = '';
      try {
        jsonl = readFileSync(twowayFiles.jsonl, 'utf8');
      } catch {
        // No stream: the run failed before it started; the timeline stays empty.
      }
      run.twoway = {
        ownCpuS: m.main === undefined ? NaN : m.treeCpuS - m.main.childrenS,
        childCpuS: m.main?.childrenS ?? NaN,
        peakRssBytes: m.main?.peakRssBytes ?? NaN,
        timeline: runTimeline(parseJsonl(jsonl), m.startedAtMs, session.droppedNodes),
      };
    }
    return run;
  } finally {
    await server?.stop();
  }
}

function describeRun(r: ModeRun): string {
  const extra = r.twoway === undefined ? `${r.failed.length} failed` : `verdicts ${JSON.stringify(r.twoway.timeline.verdicts)}`;
  return `${r.mode} run ${r.rep}: ${r.wallS.toFixed(1)} s, exit ${r.exitCode ?? 'none'}${r.timedOut ? ' (timed out)' : ''}, ${extra}`;
}

/** Stops the bench on the first signal; later ones are said and ignored until the lab is down. */
function onSignals(controller: AbortController): () => void {
  const handler = (sig: NodeJS.Signals): void => {
    // After a hang-up the terminal is gone: writing to it fails (EIO), which must not stop the teardown.
    if (sig === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
    say(controller.signal.aborted ? `${sig}: already stopping; tearing the lab down first` : `${sig}: stopping the current run, then tearing the lab down`);
    controller.abort(sig);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, handler);
  return () => {
    for (const sig of STOP_SIGNALS) process.off(sig, handler);
  };
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export async function benchMain(argv: readonly string[]): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(argv);
  } catch (err) {
    say((err as Error).message);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    say('the bench builds the lab (network namespaces): run it as root');
    return 2;
  }
  const loadAtStart = loadavg();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = resolve(options.out);
  const runDir = join(outDir, `bench-${stamp}-n${options.nodes}`);
  mkdirSync(runDir, { recursive: true });
  const abort = new AbortController();
  const release = onSignals(abort);
  const spec: FleetSpec = { nodes: options.nodes, dropped: DROPPED };
  const fleet = fleetScenarios(spec);
  const droppedNodes = fleet.slice(options.nodes).map((s) => s.node);
  const runs: ModeRun[] = [];
  const commands: Record<string, string> = {};
  let lab: BenchResult['lab'] | undefined;
  let failure: unknown;
  try {
    const upStarted = Date.now();
    const up = await labUp({ log: (line) => say(`lab: ${line}`), fleet: spec, onlyFleet: true });
    lab = { built: up.action === 'built', upS: (Date.now() - upStarted) / 1000 };
    const hostsFile = join(runDir, 'hosts.txt');
    writeFileSync(hostsFile, `${fleet.flatMap(scenarioAddresses).join('\n')}\n`);
    const sshdPids = (await labStatus()).nodes.flatMap((n) => n.sshd?.pid ?? []);
    const session: Session = {
      target: { hostsFile, sshConfig: up.paths.sshConfig, fleetInventory: up.paths.fleetInventory, concurrency: options.concurrency },
      runDir,
      nodes: fleet.length,
      droppedNodes,
      names: new Map(fleet.flatMap((s) => scenarioAddresses(s).map((a) => [a, s.node] as const))),
      sshdPids,
      signal: abort.signal,
    };
    commands.lab = `twoway lab up --fleet ${spec.nodes} --fleet-dropped ${spec.dropped} --only-fleet`;
    for (const mode of BENCH_MODES) {
      const c = benchCommand(mode, session.target, { bin: TWOWAY_BIN, json: join(runDir, 'twoway-1.json'), jsonl: join(runDir, 'twoway-1.jsonl') });
      commands[mode === 'twoway' ? 'twoway (run 1)' : mode] = shellLine(c.command, c.args);
    }
    // Bounded: R reps of three modes.
    for (let rep = 1; rep <= options.reps && !abort.signal.aborted; rep++) {
      for (const mode of modeOrder(rep - 1)) {
        if (abort.signal.aborted) break;
        const run = await runMode(session, mode, rep);
        if (abort.signal.aborted) break;
        runs.push(run);
        say(describeRun(run));
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    if (!options.keepLab) {
      const downStarted = Date.now();
      try {
        await labDown({ log: (line) => say(`lab: ${line}`) });
        if (lab !== undefined) lab.downS = (Date.now() - downStarted) / 1000;
      } catch (err) {
        say(`lab down failed: ${(err as Error).message}`);
        failure ??= err;
      }
    }
    release();
  }
  if (failure !== undefined) {
    say(failure instanceof TwowayError ? failure.message : String((failure as Error).stack ?? failure));
    return 1;
  }
  if (abort.signal.aborted) return SIGNAL_EXIT[String(abort.signal.reason)] ?? 130;

  const result: BenchResult = {
    date: new Date().toISOString(),
    loadAverage: { start: loadAtStart, end: loadavg() },
    machine: describeMachine(),
    options,
    nodes: { healthy: options.nodes, dropped: droppedNodes, total: fleet.length },
    lab: lab ?? { built: false, upS: NaN },
    commands,
    runs,
  };
  const markdown = renderMarkdown(result);
  writeFileSync(join(runDir, 'bench.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(runDir, 'bench.md'), markdown);
  process.stdout.write(`${markdown}\n`);
  say(`results: ${join(runDir, 'bench.json')} and bench.md`);
  return 0;
}
