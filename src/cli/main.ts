/**
 * The CLI entry: one file per command, each registering itself. Usage and input errors exit 2,
 * with a message naming what was wrong; nothing has started at that point.
 *
 * A command's file holds its options and help only; its action loads what it runs with
 * `await import`, so `--help` and every command load only their own code (a run's supervising
 * process loads none of the controller: src/cli/run.ts).
 */
import { Command, CommanderError } from 'commander';
import { TwowayError, InputError } from '../errors.js';
import { registerRun } from './run.js';
import { registerLab } from './lab.js';
import { registerExplain } from './explain.js';
import { registerDemo } from './demo.js';
import { registerProfiles } from './profiles.js';
import { registerPreflight } from './preflight.js';
import { registerInventory } from './inventory.js';
import { registerRender } from './render.js';
import { registerDiff } from './diff.js';
import { registerMerge } from './merge.js';
import { registerHistory } from './history.js';
import { registerAgents } from './agents.js';
import { followSupervisor } from './supervise.js';

const program = new Command('twoway')
  .description('two-way connectivity check for firmware-update managers: forward probes plus agent callbacks')
  .version('0.1.0')
  .exitOverride()
  .showHelpAfterError('(twoway --help for usage)');
registerRun(program);
registerLab(program);
registerExplain(program);
registerDemo(program);
registerProfiles(program);
registerPreflight(program);
registerInventory(program);
registerRender(program);
registerDiff(program);
registerMerge(program);
registerHistory(program);
registerAgents(program);

/** --nagios anywhere before a "--": errors too are answered as a plug-in would. */
const asNagiosPlugin = process.argv.slice(2, process.argv.includes('--') ? process.argv.indexOf('--') : undefined).includes('--nagios');

// A run's controller, re-executed as a child of the process the operator started, hears from it.
followSupervisor();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (asNagiosPlugin && !(err instanceof CommanderError && err.exitCode === 0)) {
    // A monitoring system reads stdout and the exit code only: the run could not run is UNKNOWN (3), not 2.
    const { renderNagiosUnknown } = await import('../render/nagios.js');
    const unknown = renderNagiosUnknown(err instanceof Error ? err.message : String(err));
    process.stdout.write(unknown.text);
    process.exitCode = unknown.exitCode;
  } else if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof InputError) {
    process.stderr.write(`twoway: ${err.message}\n`);
    process.exitCode = 2;
  } else if (err instanceof TwowayError) {
    process.stderr.write(`twoway: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`twoway: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 3;
  }
}
