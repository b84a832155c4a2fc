/** The signals that end a command from outside, and what the shell expects after one. */
import { constants } from 'node:os';

/** What ends a run, a lab command or the demo from outside: Ctrl-C, kill(1), the terminal closing. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export function isStopSignal(value: unknown): value is StopSignal {
  return typeof value === 'string' && (STOP_SIGNALS as readonly string[]).includes(value);
}

/** The shell's convention: 128 + the signal's number (130 SIGINT, 143 SIGTERM, 129 SIGHUP, 137 SIGKILL). */
export function exitCodeAfter(sig: NodeJS.Signals): number {
  return 128 + constants.signals[sig];
}

/**
 * After a hang-up (or when the process that started this one is gone) the terminal or pipe may be
 * gone: writing to it fails (EIO, EPIPE), which must not end the teardown.
 */
export function outliveLostOutput(): void {
  for (const stream of [process.stdout, process.stderr]) if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
}

export function outliveHangup(sig: NodeJS.Signals): void {
  if (sig === 'SIGHUP') outliveLostOutput();
}
