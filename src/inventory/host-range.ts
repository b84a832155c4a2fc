/**
 * Ansible host patterns as written in inventories: `web[01:20].example.com` (zero padding kept),
 * `db-[a:f]`, `node[1:20:2]` (a step), several ranges in one name, and an optional `:port` suffix
 * (`host:2222`, `[fd00::5]:2222`; a bare IPv6 address has no port).
 */
import { isIPv6 } from 'node:net';
import { portFromText } from './validate.js';

/** More hosts than this from one line is taken as a typo (web[1:100000]), not as a fleet. */
export const MAX_RANGE_HOSTS = 10_000;

export interface HostPattern {
  /** The host names, ranges expanded, in order. */
  names: string[];
  port?: number;
}

/** Returns the hosts, or a phrase saying what is wrong with the pattern. */
export function expandHostPattern(pattern: string): HostPattern | string {
  const split = splitPort(pattern);
  if (typeof split === 'string') return split;
  const names = expandRanges(split.host);
  if (typeof names === 'string') return names;
  return split.port === undefined ? { names } : { names, port: split.port };
}

function splitPort(pattern: string): { host: string; port?: number } | string {
  const bracketed = /^\[([^\]]*:[^\]]*)\](?::(.*))?$/.exec(pattern);
  if (bracketed !== null && isIPv6(bracketed[1] ?? '')) {
    if (bracketed[2] === undefined) return { host: bracketed[1] ?? '' };
    const port = portFromText(bracketed[2]);
    return port === undefined ? `the port "${bracketed[2]}" is not a number 1..65535` : { host: bracketed[1] ?? '', port };
  }
  if (isIPv6(pattern)) return { host: pattern };
  const colons = colonsOutsideBrackets(pattern);
  if (colons.length === 0) return { host: pattern };
  if (colons.length > 1) return 'more than one ":" outside brackets (write IPv6 with a port as [address]:port)';
  const at = colons[0] ?? 0;
  const port = portFromText(pattern.slice(at + 1));
  if (port === undefined) return `the port "${pattern.slice(at + 1)}" is not a number 1..65535`;
  return { host: pattern.slice(0, at), port };
}

function colonsOutsideBrackets(text: string): number[] {
  const found: number[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']') depth = Math.max(0, depth - 1);
    else if (text[i] === ':' && depth === 0) found.push(i);
  }
  return found;
}

/** A loop over the ranges, not a recursion: a line of 20,000 "[1:1]" must not overflow the stack. */
function expandRanges(host: string): string[] | string {
  let names = [''];
  let rest = host;
  for (let open = rest.indexOf('['); open >= 0; open = rest.indexOf('[')) {
    const close = rest.indexOf(']', open);
    if (close < 0) return 'a "[" without its "]"';
    const head = rest.slice(0, open);
    if (head.includes(']')) return 'a "]" without its "["';
    const values = rangeValues(rest.slice(open + 1, close));
    if (typeof values === 'string') return values;
    if (names.length * values.length > MAX_RANGE_HOSTS) return `the range makes more than ${MAX_RANGE_HOSTS} hosts`;
    names = names.flatMap((name) => values.map((value) => `${name}${head}${value}`));
    rest = rest.slice(close + 1);
  }
  if (rest.includes(']')) return 'a "]" without its "["';
  return names.map((name) => `${name}${rest}`);
}

/** `01:20`, `a:f`, `1:20:2`: the values in order, numbers padded to the start's width when it has a leading zero. */
function rangeValues(inside: string): string[] | string {
  const parts = inside.split(':');
  if (parts.length < 2 || parts.length > 3) return `"[${inside}]" is not a range; expected [start:end] or [start:end:step]`;
  const [start = '', end = '', stepText] = parts;
  const step = stepText === undefined ? 1 : Number(stepText);
  if (stepText !== undefined && (!/^[0-9]+$/.test(stepText) || step < 1)) return `the step "${stepText}" in "[${inside}]" is not a whole number of at least 1`;
  if (/^[0-9]+$/.test(start) && /^[0-9]+$/.test(end)) {
    const padded = start.length > 1 && start.startsWith('0');
    if (padded && start.length !== end.length) return `"[${inside}]": a zero-padded range needs start and end of the same width`;
    const [from, to] = [Number(start), Number(end)];
    if (from > to) return `"[${inside}]": the start is after the end`;
    if ((to - from) / step >= MAX_RANGE_HOSTS) return `the range makes more than ${MAX_RANGE_HOSTS} hosts`;
    const values: string[] = [];
    for (let n = from; n <= to; n += step) values.push(padded ? String(n).padStart(start.length, '0') : String(n));
    return values;
  }
  if ((/^[a-z]$/.test(start) && /^[a-z]$/.test(end)) || (/^[A-Z]$/.test(start) && /^[A-Z]$/.test(end))) {
    const [from, to] = [start.charCodeAt(0), end.charCodeAt(0)];
    if (from > to) return `"[${inside}]": the start is after the end`;
    const values: string[] = [];
    for (let c = from; c <= to; c += step) values.push(String.fromCharCode(c));
    return values;
  }
  return `"[${inside}]" is not a range; expected numbers ([01:20]) or single letters of one case ([a:f])`;
}
