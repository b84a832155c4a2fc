/** Where `twoway run --live` serves its view: checked by the process that only validates the run's flags, too. */
import { isIP } from 'node:net';
import { InputError } from '../errors.js';

export const LIVE_DEFAULT = { host: '127.0.0.1', port: 0 };

/** `--live` alone, `--live 127.0.0.1:8080`, `--live [::1]:8080`, `--live :8080` (loopback, that port). */
export function parseLiveAddress(value: string | true): { host: string; port: number } {
  if (value === true) return { ...LIVE_DEFAULT };
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const host = m === null ? undefined : (m[1] ?? m[2] ?? '');
  const port = m === null ? NaN : Number(m[3]);
  if (host === undefined || !(port >= 0 && port <= 65535) || (host !== '' && isIP(host) === 0)) {
    throw new InputError(`expected ADDR:PORT with an IP address (e.g. 127.0.0.1:8080, [::1]:8080, :8080), got "${value}"`, { field: '--live' });
  }
  return { host: host === '' ? LIVE_DEFAULT.host : host, port };
}
