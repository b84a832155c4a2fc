/**
 * `twoway lab up | down | status | fault <name> <on|off>`: the lab's command line. Progress goes to
 * stderr; `status` prints to stdout and exits 0 when the lab is up, 3 when it is not. Errors
 * (LabError) are thrown to the CLI entry, which owns the mapping to exit codes. The help reads the
 * scenario and fault tables only; the lab's machinery (controller/lab/index.ts) is loaded by an action.
 */
import { Argument, type Command } from 'commander';
import type { LabComposition, LabStatus } from '../../controller/lab/index.js';
import { LAB_SCENARIOS } from '../../controller/lab/scenarios.js';
import { LAB_FAULTS } from '../../controller/lab/scenarios-faults.js';
import { FLEET_MAX_DROPPED, FLEET_MAX_NODES, abridgeLabItems } from '../../controller/lab/fleet.js';
import { LAB_PARAM_RANGES as R, describeLabParams, parseSeed } from '../../controller/lab/params.js';
import { InputError } from '../errors.js';
import { parseIntIn } from './parse.js';
import { STOP_SIGNALS, outliveHangup } from './stop-signals.js';

/** `status` exit code when the lab is not (completely) up. */
export const LAB_NOT_UP_EXIT_CODE = 3;

const progress = (line: string): void => {
  process.stderr.write(`lab: ${line}\n`);
};

/**
 * Runs a teardown to its end: a signal meanwhile is said and ignored, because a down stopped
 * halfway leaves a partial lab (the lab's own commands run in their own process groups, so a Ctrl-C
 * at the terminal does not reach them either).
 */
export async function uninterrupted<T>(say: (line: string) => void, body: () => Promise<T>): Promise<T> {
  const ignore = (sig: NodeJS.Signals): void => {
    outliveHangup(sig);
    say(`${sig}: tearing the lab down; signals are ignored until that is done`);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, ignore);
  try {
    return await body();
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, ignore);
  }
}

export function renderLabStatus(status: LabStatus): string {
  const lines: string[] = [];
  lines.push(`lab: ${status.up ? 'up' : status.present ? 'partial (run "twoway lab up" to rebuild, or "twoway lab down")' : 'down'}`);
  lines.push(`state: ${status.stateDir}${status.built ? ` (built ${status.builtAt ?? '?'})` : ''}`);
  if (status.built) lines.push(`inventory: ${status.inventory}`);
  if (status.params !== undefined) lines.push(`parameters: ${describeLabParams(status.params)}`);
  if (status.fleet !== undefined) lines.push(`fleet: ${status.fleet.nodes} healthy, ${status.fleet.dropped} with dropped callbacks; inventory: ${status.fleet.inventory}`);
  lines.push(`controller namespace: ${status.ctlNetns}${status.namespaces.includes(status.ctlNetns) ? '' : ' (missing)'}`);
  lines.push(`guard route (root namespace): ${status.guardRoute ? 'present' : 'absent'}`);
  lines.push(`namespaces: ${status.namespaces.length > 0 ? abridgeLabItems(status.namespaces).join(' ') : 'none'}`);
  if (status.present && status.missingNamespaces.length > 0) lines.push(`missing namespaces: ${status.missingNamespaces.join(' ')}`);
  if (status.present) {
    const width = Math.max(...status.nodes.map((n) => n.name.length));
    lines.push('nodes:');
    for (const n of status.nodes) {
      const sshd = n.sshd === undefined ? 'no sshd (by design)' : n.sshd.pid === undefined ? 'sshd not running' : `sshd pid ${n.sshd.pid} ${n.sshd.alive ? 'alive' : 'DEAD'}`;
      lines.push(`  ${n.name.padEnd(width)}  ${n.addresses.join(', ').padEnd(22)}  ${n.netnsPresent ? '' : '(namespace missing) '}${sshd}`);
    }
  }
  lines.push(`faults: ${status.faults.length > 0 ? status.faults.join(', ') : 'none'}`);
  return `${lines.join('\n')}\n`;
}

/** The lab's nodes as `lab up` flags ask for them. */
export function parseComposition(opts: { fleet: string; fleetDropped: string; onlyFleet?: boolean }): LabComposition {
  const fleet = { nodes: parseIntIn(opts.fleet, '--fleet', 0, FLEET_MAX_NODES), dropped: parseIntIn(opts.fleetDropped, '--fleet-dropped', 0, FLEET_MAX_DROPPED) };
  const onlyFleet = opts.onlyFleet === true;
  if (onlyFleet && fleet.nodes + fleet.dropped === 0) throw new InputError('--only-fleet needs fleet nodes: --fleet N and/or --fleet-dropped N', { field: '--only-fleet' });
  return fleet.nodes + fleet.dropped > 0 ? { fleet, onlyFleet } : {};
}

export function registerLab(program: Command): Command {
  const lab = program
    .command('lab')
    .description('build, inspect and remove the local test lab (network namespaces, a router, per-node sshd, real kernel faults; needs root)');

  lab
    .command('up')
    .description(`build the lab (${LAB_SCENARIOS.length} nodes: ${LAB_SCENARIOS.map((s) => s.node).join(', ')}); when it is already up with the same nodes, only turns off any lab-wide fault left on`)
    .option('--no-install', 'do not apt-get install missing packages; only say what is missing')
    .option('--fleet <n>', `also build N generated healthy nodes fleet-001... (0 to ${FLEET_MAX_NODES}; sshd on 22 only), listed on their own in <state>/fleet.yaml too`, '0')
    .option('--fleet-dropped <n>', `also build N fleet nodes whose own firewall drops their callbacks, fleet-dropped-1... (0 to ${FLEET_MAX_DROPPED})`, '0')
    .option('--only-fleet', 'build only the fleet (with the controller and router), none of the scenarios above')
    .option(
      '--seed <n>',
      `draw the fault values from this seed (MTU ${R.mtu.min}..${R.mtu.max}, latency ${R.latencyMs.min}..${R.latencyMs.max} ms, ` +
        `loss ${R.lossPermille.min / 10}..${R.lossPermille.max / 10} %, slow rate ${R.rateMbit.min}..${R.rateMbit.max} Mbit/s, idle timeout ${R.idleTimeoutS.min}..${R.idleTimeoutS.max} s); ` +
        'default: TWOWAY_LAB_SEED if set, else the seed of a lab already up, else a random one (printed); a lab up with another seed is rebuilt',
    )
    .action(async (opts: { install: boolean; fleet: string; fleetDropped: string; onlyFleet?: boolean; seed?: string }) => {
      const seed = opts.seed === undefined ? {} : { seed: parseSeed(opts.seed, '--seed') };
      const composition = parseComposition(opts);
      const { labUp } = await import('../../controller/lab/index.js');
      const result = await labUp({ log: progress, install: opts.install, ...composition, ...seed });
      if (result.action === 'built') progress(`ready; try: twoway run --inventory ${result.paths.inventory}`);
    });

  lab
    .command('down')
    .description('remove everything the lab made (sshds, namespaces, the guard route, the state directory)')
    .action(async () => {
      const { labDown } = await import('../../controller/lab/index.js');
      const result = await uninterrupted(progress, () => labDown({ log: progress }));
      progress(`down in ${result.elapsedMs} ms`);
    });

  lab
    .command('status')
    .description(`show namespaces, each node's sshd and active faults; exit 0 when up, ${LAB_NOT_UP_EXIT_CODE} when not`)
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { labStatus } = await import('../../controller/lab/index.js');
      const status = await labStatus();
      process.stdout.write(opts.json === true ? `${JSON.stringify(status, null, 2)}\n` : renderLabStatus(status));
      process.exitCode = status.up ? 0 : LAB_NOT_UP_EXIT_CODE;
    });

  lab
    .command('fault')
    .description(`turn a lab-wide fault on or off: ${LAB_FAULTS.map((f) => `${f.name} (${f.description})`).join('; ')}`)
    .addArgument(new Argument('<name>', 'fault name').choices(LAB_FAULTS.map((f) => f.name)))
    .addArgument(new Argument('<state>', 'on or off').choices(['on', 'off']))
    .action(async (name: string, state: string) => {
      const { setFault } = await import('../../controller/lab/index.js');
      const changed = await setFault(name, state === 'on');
      progress(`fault ${name} ${state}${changed ? '' : ' (already)'}`);
    });

  return lab;
}
