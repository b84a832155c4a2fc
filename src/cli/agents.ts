/** `twoway agents`: each agent flavour, what it needs on a node, its size as sent, and what it cannot measure. */
import type { Command } from 'commander';
import type { FlavourInfo } from '../../controller/run/agent-sizes.js';

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function renderAgents(rows: readonly FlavourInfo[]): string {
  const width = Math.max(...rows.map((r) => r.flavour.length)) + 2;
  const lines = rows.flatMap((r) => {
    const head = `${r.flavour.padEnd(width)}${String(r.bytesAsSent).padStart(7)} bytes (${kib(r.bytesAsSent)})  needs ${r.needs}, runs \`${r.remoteCommand}\``;
    const gaps = r.cannotMeasure.length === 0 ? ['measures every probe'] : r.cannotMeasure.map((c) => `not measured: ${c}`);
    return [head, ...gaps.map((g) => `${' '.repeat(width)}${g}`)];
  });
  return `Agent flavours, best first; size as sent for a typical plan (default sizes, one callback address):\n${lines.join('\n')}\n`;
}

export function registerAgents(program: Command): void {
  program
    .command('agents')
    .description('list the agent flavours: what each needs on a node, its size as sent, what it cannot measure')
    .option('--json', 'as JSON', false)
    .action(async (flags: { json: boolean }) => {
      const { flavourTable } = await import('../../controller/run/agent-sizes.js');
      const rows = flavourTable();
      process.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : renderAgents(rows));
    });
}
