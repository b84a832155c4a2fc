/**
 * `twoway render REPORT.json`: the formats of a saved JSON report, without a run. Prints the terminal
 * report and exits as the run's own result did (0, 1, or 130 for an interrupted run; a --baseline
 * comparison is not part of the report and not redone here), so a cron job can re-render
 * yesterday's report, and the golden tests exercise the same code path as a run's output.
 */
import type { Command } from 'commander';
import { addOutputOptions } from './output-options.js';
import type { RenderFlags } from './render-action.js';

export function registerRender(program: Command): void {
  const command = program
    .command('render')
    .description('write the formats of a saved JSON report (from run --json) and print its terminal report')
    .argument('<report>', 'a JSON report written by twoway run --json')
    .option('--no-color', 'no colour in the terminal report (also: NO_COLOR)');
  addOutputOptions(command).action(async (file: string, flags: RenderFlags) => {
    const { renderAction } = await import('./render-action.js');
    renderAction(file, flags);
  });
}
