/** `twoway explain [KIND]`: what a verdict means, what it rests on, and what to change. From the verdict table. */
import { Command, Argument } from 'commander';
import { NODE_KINDS, PATH_KINDS, VERDICTS, VERDICT_KINDS, type VerdictKind } from '../verdicts.js';

/** What each class does to a node and to the run (src/verdicts.ts VERDICT_CLASSES). */
const CLASS_WORDS = {
  ok: 'ok',
  info: 'information: never changes the node verdict or the exit code',
  warning: 'warning: shown as the node verdict only when the node has no fault; the run still exits 0',
  fault: 'fault: the node verdict is its worst fault; the run exits 1',
} as const;

export function explainKind(kind: VerdictKind): string {
  const info = VERDICTS[kind];
  const scope = (NODE_KINDS as readonly string[]).includes(kind) ? 'node' : 'path';
  return `${kind}: ${info.title} (${scope} verdict, ${CLASS_WORDS[info.class]})\n\n  What it means: ${info.explanation}\n  Evidence:      ${info.evidence}\n  Fix:           ${info.hint}\n`;
}

export function listKinds(): string {
  const width = Math.max(...VERDICT_KINDS.map((k) => k.length)) + 2;
  const block = (title: string, kinds: readonly VerdictKind[]): string =>
    `${title}\n${kinds.map((k) => `  ${k.padEnd(width)}${VERDICTS[k].class.padEnd(9)}${VERDICTS[k].title}`).join('\n')}\n`;
  return `${block('Path verdicts', PATH_KINDS)}\n${block('Node verdicts', NODE_KINDS)}\ntwoway explain KIND for details.\n`;
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('explain a verdict kind, or list them all')
    .addArgument(new Argument('[kind]', 'a verdict kind').choices(VERDICT_KINDS))
    .action((kind: VerdictKind | undefined) => {
      process.stdout.write(kind === undefined ? listKinds() : explainKind(kind));
    });
}
