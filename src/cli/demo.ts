/**
 * `twoway demo` (npm run demo): build the lab, run twoway against it as an operator would, check each
 * scenario's diagnosis against the lab's table, repeat with the controller's own firewall closed, and
 * tear the lab down, also when interrupted.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { LAB_FAULTS, LAB_SCENARIOS, labDown, labUp, setFault } from '../../controller/lab/index.js';
import { LAB_IDLE_HOLD_SECONDS } from '../../controller/lab/scenarios.js';
import { checkLabReport, type ScenarioCheck } from '../../controller/lab/expectations.js';
import type { Report } from '../report.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));

function say(line: string): void {
  process.stderr.write(`demo: ${line}\n`);
}

/** Runs `twoway run` as a child, terminal attached, and returns its JSON report (undefined if none). */
function runTwowayChild(inventory: string, json: string, extra: string[]): Promise<{ code: number | null; report?: Report }> {
  const child = spawn(process.execPath, [BIN, 'run', '--inventory', inventory, '--json', json, ...extra], { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      process.off('SIGTERM', forward);
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

export async function demo(options: { keep: boolean }): Promise<number> {
  let interrupted = false;
  const onInterrupt = (): void => {
    interrupted = true;
    say('interrupted: finishing the current run, then tearing the lab down');
  };
  process.on('SIGINT', onInterrupt);
  const work = mkdtempSync(join(tmpdir(), 'twoway-demo-'));
  let allPassed = true;
  try {
    say('building the lab (network namespaces, a router, one sshd per node, real kernel faults)');
    const up = await labUp({ log: (line) => say(line) });
    const inventory = up.paths.inventory;
    for (const s of LAB_SCENARIOS) say(`  ${s.node.padEnd(14)}${s.description}`);

    // The idle hold shows the idle scenario's stateful timeout; the fault runs below skip it.
    const holdArgs = ['--idle-hold', String(LAB_IDLE_HOLD_SECONDS)];
    say(`running: twoway run --inventory ${inventory} ${holdArgs.join(' ')}`);
    const first = await runTwowayChild(inventory, join(work, 'run.json'), holdArgs);
    // An interrupted run leaves nodes not measured; checking them against the table would only mislead.
    if (first.report === undefined || interrupted) return interrupted ? 130 : 1;
    const checks = checkLabReport(first.report, LAB_SCENARIOS);
    process.stdout.write(`\n${renderChecks('Scenario check: each node diagnosed as its fault demands', checks)}\n`);
    allPassed &&= checks.every((c) => c.ok);

    for (const fault of LAB_FAULTS) {
      say(`lab-wide fault "${fault.name}": ${fault.description}`);
      await setFault(fault.name, true);
      try {
        const run = await runTwowayChild(inventory, join(work, `${fault.name}.json`), []);
        if (run.report === undefined || interrupted) return interrupted ? 130 : 1;
        const faultChecks = checkLabReport(run.report, LAB_SCENARIOS, fault);
        process.stdout.write(`\n${renderChecks(`Scenario check with "${fault.name}" on`, faultChecks)}\n`);
        allPassed &&= faultChecks.every((c) => c.ok);
      } finally {
        await setFault(fault.name, false);
      }
    }
    process.stdout.write(allPassed ? 'demo: every scenario diagnosed as expected\n' : 'demo: some scenarios were NOT diagnosed as expected (see FAIL above)\n');
    return allPassed ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (options.keep) say('lab kept (--keep); remove it with: twoway lab down');
    else {
      const down = await labDown({ log: (line) => say(line) });
      say(`lab torn down in ${down.elapsedMs} ms`);
    }
    process.off('SIGINT', onInterrupt);
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('build the lab, diagnose every fault scenario in it, and tear it down (Linux, root)')
    .option('--keep', 'leave the lab up afterwards', false)
    .action(async (flags: { keep: boolean }) => {
      process.exitCode = await demo(flags);
    });
}
