/**
 * The agent's only channel to the controller: JSON Lines on stdout, one event per line, written as
 * soon as it is known so the controller sees progress even if the agent is killed later.
 */
import type { AgentEvent } from '../../src/protocol.js';

/** If the controller stops reading, the last write never drains; exit anyway after this long. */
const EXIT_GRACE_MS = 2000;

export function emit(event: AgentEvent, onWritten?: () => void): void {
  process.stdout.write(`${JSON.stringify(event)}\n`, onWritten === undefined ? undefined : () => onWritten());
}

/**
 * Write a last event and exit once it (and so everything before it: writes are ordered) has left
 * the process. Exiting straight away could lose buffered lines when stdout is an asynchronous pipe.
 */
export function emitAndExit(event: AgentEvent, code: number): void {
  const grace = setTimeout(() => process.exit(code), EXIT_GRACE_MS);
  emit(event, () => {
    clearTimeout(grace);
    process.exit(code);
  });
}

/** Keeps messages within what parseAgentEvent accepts (it rejects over-long strings outright). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
