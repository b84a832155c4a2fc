/**
 * The portable agents' scripts as sent, read once from the source tree's agent/ folder: full-line
 * comments and blank lines cost bytes on every node and do nothing there, so they are dropped (and
 * indentation too, where the language does not need it). Each script keeps no "#" line and no blank
 * line that matters inside a multi-line string, so this changes nothing it runs. The protocol
 * constants the script uses go in front of it (controller/agents/wire-constants.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SetupError } from '../../src/errors.js';
import { withWireConstants, type ScriptLanguage } from './wire-constants.js';

/** Python keeps its indentation; sh and PowerShell do not need theirs. */
export function stripScript(source: string, keepIndent: boolean): string {
  return source
    .split('\n')
    .map((line) => (keepIndent ? line : line.trim()))
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .join('\n')
    .concat('\n');
}

/**
 * A cached reader of agent/<file> (from dist/controller/agents/, three levels up is the checkout):
 * `text()` is the script as sent before the plan, its constants in front.
 */
export function agentText(file: string, language: ScriptLanguage): { path: string; text: () => string } {
  const path = fileURLToPath(new URL(`../../../agent/${file}`, import.meta.url));
  let cached: string | undefined;
  return {
    path,
    text: () => {
      if (cached === undefined) {
        let source: string;
        try {
          source = readFileSync(path, 'utf8');
        } catch (err) {
          throw new SetupError(`agent script ${path} is missing`, { cause: err });
        }
        cached = withWireConstants(language, stripScript(source, language === 'python'));
      }
      return cached;
    },
  };
}
