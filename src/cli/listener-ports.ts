/**
 * The run's listeners each need their own ports. Two settings that name the same port would make the
 * second bind fail, which preflight then reports as "used by another process": a usage error
 * disguised as a fault. Checked before anything binds, naming both settings.
 */
import { InputError } from '../errors.js';

export interface ListenerPorts {
  /** What set the ports, as the operator wrote it: "--port", "port= in /opt/sum/hpsum.ini", "--port (default)". */
  setting: string;
  /** What listens there: "the HTTP callback listener". */
  listener: string;
  first: number;
  last: number;
  /** The flag the error is reported under. */
  flag: string;
}

/** Throws an InputError for the first two listeners whose ports overlap; port 0 (any free port) overlaps nothing. */
export function checkListenerPorts(listeners: readonly ListenerPorts[]): void {
  const bound = listeners.filter((l) => l.first !== 0);
  for (const [i, a] of bound.entries()) {
    for (const b of bound.slice(i + 1)) {
      const shared = Math.max(a.first, b.first);
      if (shared > Math.min(a.last, b.last)) continue;
      throw new InputError(`${b.setting} ${portsText(b)} and ${a.setting} ${portsText(a)} both use port ${shared}; ${b.listener} and ${a.listener} need a port each`, {
        field: b.flag,
      });
    }
  }
}

function portsText(l: ListenerPorts): string {
  return l.first === l.last ? String(l.first) : `${l.first}-${l.last}`;
}
