/** `twoway preflight`: only the controller-side checks a run starts with; exit 0 ok, 1 the firewall would block, 2 the run could not listen. */
import type { Command } from 'commander';
import { addRunOptions, type RunFlags } from './run.js';

export function registerPreflight(program: Command): void {
  addRunOptions(program.command('preflight').description("check the controller's side only: listener ports free, callback addresses here, firewall (takes run's options)")).action(
    async (flags: RunFlags) => {
      const { prepareRun } = await import('./run-prepare.js');
      const prepared = await prepareRun(flags, new AbortController().signal, false);
      if ('reexecuted' in prepared) {
        process.exitCode = prepared.reexecuted;
        return;
      }
      const [{ preflightFor }, { renderPreflight }] = await Promise.all([import('./preflight-checks.js'), import('../../controller/run/preflight.js')]);
      const { items } = await preflightFor(prepared.options, flags.openFirewall);
      process.stdout.write(`twoway preflight:\n${renderPreflight(items)}\n`);
      process.exitCode = items.some((i) => i.status === 'fail') ? 2 : items.some((i) => i.status === 'warn') ? 1 : 0;
    },
  );
}
