/** What `twoway demo` does (src/cli/demo.ts registers it): the lab up, the runs checked against its table, the lab down. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_FAULTS, type LabScenario, type LabUpResult, labDown, labScenarios, labUp, setFault } from '../../controller/lab/index.js';
import { describeLabParams, labIdleHoldSeconds } from '../../controller/lab/params.js';
import { checkLabReport, type ScenarioCheck } from '../../controller/lab/expectations.js';
import { compareVerdicts, renderComparison } from '../../controller/lab/repeat.js';
import type { Report } from '../report.js';
import { uninterrupted } from './lab.js';
import { STOP_SIGNALS, exitCodeAfter, outliveHangup } from './stop-signals.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));

function say(line: string): void {
  process.stderr.write(`demo: ${line}\n`);
}

export interface DemoOptions {
  keep: boolean;
  /** How many times the plain scenario run goes; runs after the first are compared with it. */
  repeat: number;
  /** Keep each run's JSON report here (run-1.json, ..., <fault>.json); otherwise a temporary directory. */
  save?: string;
  /** The lab's seed (`lab up --seed`); absent: a lab already up keeps its own, a new one draws one. */
  seed?: number;
}

/** What a signal has asked for, and the run in flight to pass it on to. */
interface Interruption {
  signal: NodeJS.Signals | undefined;
  child: ChildProcess | undefined;
}

/**
 * Runs `twoway run` as a child and returns its JSON report (undefined if none). The child gets a
 * process group of its own, so a Ctrl-C at the terminal reaches only the demo, which passes it on
 * once. It passes SIGTERM whatever came in: the run treats every stop signal alike (a second one ends it at once).
 */
function runTwowayChild(inventory: string, json: string, extra: string[], now: Interruption): Promise<{ code: number | null; report?: Report }> {
  // A report left from an earlier demo in --save's directory must not pass for this run's.
  rmSync(json, { force: true });
  const child = spawn(process.execPath, [BIN, 'run', '--inventory', inventory, '--json', json, ...extra], { stdio: 'inherit', detached: true });
  now.child = child;
  return new Promise((resolve) => {
    child.once('error', (err) => say(`cannot start twoway run: ${err.message}`));
    child.once('close', (code) => {
      now.child = undefined;
      try {
        resolve({ code, report: JSON.parse(readFileSync(json, 'utf8')) as Report });
      } catch {
        resolve({ code });
      }
    });
  });
}

function renderChecks(title: string, checks: ScenarioCheck[]): string {
  const width = Math.max(...checks.map((c) => c.node.length)) + 2;
  const lines = checks.map((c) => `  ${c.ok ? 'PASS' : 'FAIL'}  ${c.node.padEnd(width)}expected ${c.expected.padEnd(18)}got ${c.got}${c.ok ? '' : `  (${c.problems.join('; ')})`}`);
  return `${title}\n${lines.join('\n')}\n`;
}

/** The runs against a lab that is up; returns the exit code. */
async function runAll(up: LabUpResult, dir: string, options: DemoOptions, now: Interruption): Promise<number> {
  const inventory = up.paths.inventory;
  const scenarios: readonly LabScenario[] = labScenarios(up.params);
  const stopped = (): number | undefined => (now.signal === undefined ? undefined : exitCodeAfter(now.signal));
  const noReport = (what: string, code: number | null): number => {
    say(`${what} ended with ${code ?? 'a signal'} and wrote no report`);
    return 1;
  };
  let allPassed = true;

  // The idle hold shows the idle scenario's stateful timeout (drawn per lab); the fault runs below skip it.
  const holdArgs = ['--idle-hold', String(labIdleHoldSeconds(up.params))];
  let first: Report | undefined;
  for (let i = 1; i <= options.repeat; i++) {
    if (stopped() !== undefined) return stopped()!;
    const which = options.repeat > 1 ? ` (run ${i} of ${options.repeat})` : '';
    say(`running${which}: twoway run --inventory ${inventory} ${holdArgs.join(' ')}`);
    const run = await runTwowayChild(inventory, join(dir, `run-${i}.json`), holdArgs, now);
    // An interrupted run leaves nodes not measured; checking them against the table would only mislead.
    if (stopped() !== undefined) return stopped()!;
    if (run.report === undefined) return noReport(`run ${i}`, run.code);
    if (first === undefined) {
      first = run.report;
      const checks = checkLabReport(first, scenarios);
      process.stdout.write(`\n${renderChecks('Scenario check: each node diagnosed as its fault demands', checks)}\n`);
      allPassed &&= checks.every((c) => c.ok);
    } else {
      const comparison = compareVerdicts(first, run.report);
      process.stdout.write(`\ndemo: ${renderComparison(i, options.repeat, comparison)}\n`);
      allPassed &&= comparison.differences.length === 0;
    }
  }

  for (const fault of LAB_FAULTS) {
    if (stopped() !== undefined) return stopped()!;
    say(`lab-wide fault "${fault.name}": ${fault.description}`);
    await setFault(fault.name, true);
    try {
      // A signal that came while setFault waited for the lab's lock: no new run, and finally turns the fault off.
      if (stopped() !== undefined) return stopped()!;
      const run = await runTwowayChild(inventory, join(dir, `${fault.name}.json`), [], now);
      if (stopped() !== undefined) return stopped()!;
      if (run.report === undefined) return noReport(`the run with "${fault.name}" on`, run.code);
      const faultChecks = checkLabReport(run.report, scenarios, fault);
      process.stdout.write(`\n${renderChecks(`Scenario check with "${fault.name}" on`, faultChecks)}\n`);
      allPassed &&= faultChecks.every((c) => c.ok);
    } finally {
      await setFault(fault.name, false);
    }
  }
  process.stdout.write(allPassed ? 'demo: every scenario diagnosed as expected\n' : 'demo: some scenarios were NOT diagnosed as expected, or runs differed (see above)\n');
  return allPassed ? 0 : 1;
}

export async function demo(options: DemoOptions): Promise<number> {
  const now: Interruption = { signal: undefined, child: undefined };
  const onSignal = (sig: NodeJS.Signals): void => {
    outliveHangup(sig);
    const again = now.signal !== undefined;
    now.signal ??= sig;
    if (now.child !== undefined) {
      say(again ? `${sig} again: ending the current run at once` : `${sig}: stopping the current run (every node still gets a result); no new run will start`);
      now.child.kill('SIGTERM');
    } else if (!again) say(`${sig}: no new run will start; ending as soon as the current step is done`);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);

  const dir = options.save === undefined ? mkdtempSync(join(tmpdir(), 'twoway-demo-')) : resolve(options.save);
  if (options.save !== undefined) mkdirSync(dir, { recursive: true });
  let up: LabUpResult | undefined;
  try {
    say('building the lab (network namespaces, a router, one sshd per node, real kernel faults)');
    up = await labUp({ log: (line) => say(line), ...(options.seed === undefined ? {} : { seed: options.seed }) });
    if (up.action === 'already-up') say('the lab was up before this demo: it runs against it and leaves it up');
    say(`lab parameters: ${describeLabParams(up.params)} (again with: npm run demo -- --seed ${up.params.seed})`);
    for (const s of labScenarios(up.params)) say(`  ${s.node.padEnd(14)}${s.description}`);
    return await runAll(up, dir, options, now);
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    await uninterrupted(say, async () => {
      if (options.save === undefined) rmSync(dir, { recursive: true, force: true });
      // labUp failed: it removed what it had made itself, and a lab it did not build is not this demo's.
      if (up === undefined) return;
      if (options.save !== undefined) say(`reports kept in ${dir} (compare two with: twoway diff ${join(dir, 'run-1.json')} ${join(dir, `run-${options.repeat}.json`)})`);
      if (up.action === 'already-up') say('leaving the lab up: it was up before this demo started');
      else if (options.keep) say('lab kept (--keep); remove it with: twoway lab down');
      else {
        const down = await labDown({ log: (line) => say(line) });
        say(`lab torn down in ${down.elapsedMs} ms`);
      }
    });
  }
}
