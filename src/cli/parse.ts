/** Parsers for command-line values; each throws InputError naming the flag and what it expected. */
import { isIP } from 'node:net';
import { InputError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 * 1024, mib: 1024 * 1024, g: 1024 ** 3, gib: 1024 ** 3 };

/** Largest download the listener will hold in memory for one size. */
export const MAX_DOWNLOAD_SIZE = 64 * 1024 * 1024;

export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m === null ? undefined : UNITS[m[2]!.toLowerCase()];
  if (m === null || unit === undefined) throw new InputError(`expected a size like 1024, 64k, 1m or 8MiB, got "${text}"`, { field: flag });
  return Math.round(Number(m[1]) * unit);
}

export function parseSizes(text: string, flag = '--sizes'): number[] {
  const sizes = text.split(',').map((s) => parseSize(s, flag));
  for (const s of sizes) {
    if (s < 1 || s > MAX_DOWNLOAD_SIZE) throw new InputError(`each size must be between 1 byte and 64 MiB, got ${s}`, { field: flag });
  }
  return [...new Set(sizes)].sort((a, b) => a - b);
}

export function parseIntIn(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new InputError(`expected a whole number from ${min} to ${max}, got "${text}"`, { field: flag });
  }
  return Number(text);
}

export function parsePort(text: string, flag: string, allowZero = false): number {
  return parseIntIn(text, flag, allowZero ? 0 : 1, 65535);
}

export function parseIpAddress(text: string, flag: string): string {
  if (isIP(text) === 0) throw new InputError(`expected an IP address, got "${text}"`, { field: flag });
  return text;
}

/** A port range "A-B" (A <= B), or one port "A"; ports from 1. */
export function parsePortRange(text: string, flag: string): { first: number; last: number } {
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(text);
  const first = m === null ? NaN : Number(m[1]);
  const last = m === null ? NaN : m[2] === undefined ? first : Number(m[2]);
  if (!(first >= 1 && last <= 65535 && first <= last)) throw new InputError(`expected a port range like 63006-63010 (ports 1..65535, first <= last), got "${text}"`, { field: flag });
  return { first, last };
}

/** commander accumulator for repeatable flags. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
