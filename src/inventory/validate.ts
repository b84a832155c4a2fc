/**
 * Checks for the small strings an inventory is made of. Each returns undefined when the value is
 * fine, or a short phrase saying what is wrong, so callers can build one precise message.
 */
import { isIP } from 'node:net';

/** Node names and netns names: they end up in file names and `ip netns` arguments. */
const SIMPLE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** RFC 1123 host name label. */
const HOSTNAME_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** Login names: portable POSIX names (optionally ending in $, as Samba machine accounts do). */
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\$?$/;

export const SIMPLE_NAME_RULE = 'letters, digits, "_", "." and "-", 1..64 characters';

export function simpleNameProblem(name: string): string | undefined {
  if (name.length > 64) return `it is ${name.length} characters long`;
  const badChar = [...name].find((char) => !/[A-Za-z0-9_.-]/.test(char));
  if (badChar !== undefined) return `it contains ${JSON.stringify(badChar)}`;
  // "." and ".." match the character rule but would be directory references once used in a path.
  if (name === '.' || name === '..') return 'it must not be "." or ".."';
  return SIMPLE_NAME.test(name) ? undefined : `use only ${SIMPLE_NAME_RULE}`;
}

export function isIpAddress(text: string): boolean {
  return isIP(text) !== 0;
}

/** An IPv4/IPv6 literal or an RFC 1123 host name. */
export function addressProblem(text: string): string | undefined {
  if (text === '') return 'it is empty';
  if (isIpAddress(text)) return undefined;
  if (text.includes(':')) return 'not a valid IPv6 address';
  // Something like 10.0.0.256 or 010.0.0.1 must not quietly pass as a host name: a name whose last
  // label is all digits is never a real DNS name, so treat it as a failed IPv4 literal.
  if (/^[0-9.]+$/.test(text)) return 'not a valid IPv4 address: four numbers 0..255, no leading zeros';
  return hostnameProblem(text);
}

function hostnameProblem(text: string): string | undefined {
  const withoutRootDot = text.endsWith('.') ? text.slice(0, -1) : text;
  if (withoutRootDot.length > 253) return 'host name longer than 253 characters';
  const labels = withoutRootDot.split('.');
  if (!labels.every((label) => HOSTNAME_LABEL.test(label))) {
    return 'not a valid host name: dot-separated labels of letters, digits and "-", 1..63 characters, not starting or ending with "-"';
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return 'not a valid host name: the last label is all digits';
  return undefined;
}

export function userProblem(user: string): string | undefined {
  return USER_NAME.test(user) ? undefined : 'not a valid user name: letters, digits, "_", "." and "-", not starting with "-" or "."';
}

/**
 * An ssh_config Host alias is passed to ssh as the destination, so it must be one word that ssh
 * cannot take for an option or a pattern.
 */
export function sshAliasProblem(alias: string): string | undefined {
  if (alias === '') return 'it is empty';
  if (/[\s\u0000-\u001f]/.test(alias)) return 'it contains white space or control characters';
  if (alias.startsWith('-')) return 'it starts with "-", which ssh would read as an option';
  if (/[*?!,]/.test(alias)) return 'it contains a pattern character (* ? ! ,), but it must name one host';
  return undefined;
}

/** A port given as text (host lists, --node): digits only, 1..65535. */
export function portFromText(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return isValidPort(port) ? port : undefined;
}

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}
