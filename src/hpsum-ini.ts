/**
 * The update manager's own port settings, read from its hpsum.ini (`port=`, `ssl_port=`,
 * `ftp_port=`), so a run tests exactly the ports the manager would use. The CLI decides what wins
 * over flags.
 */
import { InputError } from './errors.js';
import { readTextFile } from './text-file.js';

export interface HpsumPorts {
  port?: number;
  ssl_port?: number;
  ftp_port?: number;
}

const KEYS = ['port', 'ssl_port', 'ftp_port'] as const;
type Key = (typeof KEYS)[number];

/** The manager's hpsum.ini is a few kilobytes; a file this large is not one. */
export const MAX_HPSUM_INI_BYTES = 1024 * 1024;

/** The file named by --hpsum-ini: text (a binary file must not pass as "no ports set"), bounded, parsed. */
export function loadHpsumIni(file: string): HpsumPorts {
  return parseHpsumIni(readTextFile(file, { what: 'it', maxBytes: MAX_HPSUM_INI_BYTES, field: '--hpsum-ini' }), file);
}

/** Reads the port keys (any section, any case); other keys are the manager's business. Errors name file, line and key. */
export function parseHpsumIni(text: string, file: string): HpsumPorts {
  const ports: HpsumPorts = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#') || line.startsWith('[')) return;
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq).trim().toLowerCase();
    if (!(KEYS as readonly string[]).includes(key)) return;
    const value = line.slice(eq + 1).trim();
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > 65535) {
      throw new InputError(`expected a port from 1 to 65535, got "${value}"`, { file, line: index + 1, field: key });
    }
    ports[key as Key] = n;
  });
  return ports;
}

export interface PortChoice {
  port: number;
  /** Where the value came from, for the operator. */
  from: 'flag' | 'hpsum.ini' | 'default';
  /** Set when the flag and the file disagree (the flag wins). */
  conflict?: string;
}

/** Flags win over the file, the file over the default; a disagreement is reported, never silent. */
export function choosePort(key: Key, flagName: string, flag: number | undefined, fromIni: number | undefined, fallback: number): PortChoice {
  if (flag !== undefined) {
    return fromIni !== undefined && fromIni !== flag
      ? { port: flag, from: 'flag', conflict: `hpsum.ini has ${key}=${fromIni}, ${flagName} ${flag} was given: using ${flag}` }
      : { port: flag, from: 'flag' };
  }
  return fromIni !== undefined ? { port: fromIni, from: 'hpsum.ini' } : { port: fallback, from: 'default' };
}
