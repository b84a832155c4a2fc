/**
 * `[user@]host[:port]`, the one-line way to name a node: host list lines and `--node ADDR`.
 * IPv6 takes a port only in brackets (`[::1]:22`); a bare IPv6 address (`::1`) has no port, because
 * its last group could not be told apart from one.
 */
import { isIPv6 } from 'node:net';
import { InputError } from '../errors.js';
import { addressProblem, portFromText, userProblem } from './validate.js';

export interface HostSpec {
  user?: string;
  address: string;
  port?: number;
}

export interface Where {
  file: string;
  line?: number;
  field: string;
}

const EXPECTED = 'expected [user@]host[:port]';

export function parseHostSpec(spec: string, where: Where): HostSpec {
  const text = spec.trim();
  if (text === '') throw new InputError(`${EXPECTED}, found an empty string`, where);
  if (/\s/.test(text)) throw new InputError(`${EXPECTED} (one per entry, no spaces), found "${text}"`, where);

  const { user, hostPort } = splitUser(text, where);
  const { address, port } = splitPort(hostPort, text, where);

  const problem = addressProblem(address);
  if (problem !== undefined) throw new InputError(`${EXPECTED} with an IPv4/IPv6 address or host name, found "${address}" in "${text}" (${problem})`, where);

  return { ...(user === undefined ? {} : { user }), address, ...(port === undefined ? {} : { port }) };
}

function splitUser(text: string, where: Where): { user: string | undefined; hostPort: string } {
  const at = text.lastIndexOf('@');
  if (at < 0) return { user: undefined, hostPort: text };
  const user = text.slice(0, at);
  const problem = user === '' ? 'it is empty' : userProblem(user);
  if (problem !== undefined) throw new InputError(`${EXPECTED}, found user "${user}" in "${text}" (${problem})`, where);
  return { user, hostPort: text.slice(at + 1) };
}

function splitPort(hostPort: string, whole: string, where: Where): { address: string; port: number | undefined } {
  if (hostPort.startsWith('[')) {
    const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(hostPort);
    if (bracketed === null) throw new InputError(`${EXPECTED} with IPv6 written as [address]:port, found "${whole}"`, where);
    const address = bracketed[1] ?? '';
    const portText = bracketed[2];
    return { address, port: portText === undefined ? undefined : checkedPort(portText, whole, where) };
  }
  const colons = hostPort.split(':').length - 1;
  if (colons === 0) return { address: hostPort, port: undefined };
  if (colons === 1) {
    const [address = '', portText = ''] = hostPort.split(':');
    return { address, port: checkedPort(portText, whole, where) };
  }
  if (!isIPv6(hostPort)) {
    throw new InputError(`${EXPECTED}, found "${whole}" (not a valid IPv6 address; to give a port with IPv6, write [address]:port)`, where);
  }
  return { address: hostPort, port: undefined };
}

function checkedPort(portText: string, whole: string, where: Where): number {
  const port = portFromText(portText);
  if (port === undefined) throw new InputError(`${EXPECTED} with a port 1..65535, found port "${portText}" in "${whole}"`, where);
  return port;
}

/** How a host spec is written back, for names and messages: IPv6 with a port goes in brackets. */
export function formatHostPort(address: string, port: number | undefined): string {
  if (port === undefined) return address;
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}
