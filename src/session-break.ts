/**
 * Where an SSH session broke, in words: the node verdict's detail (src/render/terminal.ts) and the
 * reason its unmeasured paths give (controller/diagnose/unfinished.ts) say it the same way.
 */
import type { SessionBreak } from './evidence.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** "the SSH session broke after 5 of 38 probe results; last line at 2.1 s (probe hello-http-0: ok), ssh gave up at 19.4 s" */
export function sessionBreakLabel(b: SessionBreak): string {
  const when = b.results === 0 ? 'before any probe result' : `after ${b.results} of ${b.planned} probe results`;
  const last = b.lastLine === undefined || b.lastLineMs === undefined ? 'no line from the agent' : `last line at ${seconds(b.lastLineMs)} (${b.lastLine})`;
  return `the SSH session broke ${when}; ${last}, ssh gave up at ${seconds(b.endedMs)}`;
}
