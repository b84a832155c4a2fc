/**
 * A DER encoder for exactly what the run's certificate needs (controller/wire/cert.ts): each function
 * returns one complete TLV, and the constructed types take already-encoded children. Pure: no I/O, no
 * state. Decoding is never needed here (Node's X509Certificate reads the result).
 */
import { TwowayError } from '../../src/errors.js';

/** A value the encoder cannot represent (a negative integer, a malformed OID, a year past 9999...). */
export class DerError extends TwowayError {
  constructor(message: string) {
    super('TWOWAY_DER', message);
  }
}

const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  objectIdentifier: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;
const CONTEXT = 0x80;
const CONSTRUCTED = 0x20;

/** Short form below 128; otherwise 0x80 | the count of big-endian length bytes, then those bytes. */
export function encodeLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new DerError(`length ${length} is not a non-negative integer`);
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function sequence(...children: Uint8Array[]): Buffer {
  return tlv(TAG.sequence, Buffer.concat(children));
}

/** SET OF: DER orders the elements by their encodings (X.690 11.6), so callers need not. */
export function setOf(...children: Uint8Array[]): Buffer {
  return tlv(TAG.set, Buffer.concat([...children].sort(Buffer.compare)));
}

/**
 * A non-negative INTEGER from big-endian magnitude bytes: redundant leading zero bytes are dropped and
 * one 0x00 is put back when the top bit is set, so the value never reads as negative.
 */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const bytes = magnitude.length === 0 ? Buffer.from([0]) : Buffer.from(magnitude.subarray(start));
  return tlv(TAG.integer, (bytes[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** A small non-negative INTEGER (a version number, a path length). */
export function smallInteger(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new DerError(`integer ${value} is not a non-negative safe integer`);
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return unsignedInteger(Uint8Array.from(bytes));
}

export function boolean(value: boolean): Buffer {
  return tlv(TAG.boolean, Buffer.from([value ? 0xff : 0x00]));
}

/** Base 128, most significant group first, the continuation bit on every group but the last. */
function base128(arc: number): number[] {
  const groups = [arc % 128];
  for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest % 128) | 0x80);
  return groups;
}

/** From the dotted form, e.g. '1.2.840.10045.2.1'; the first two arcs share one value, 40 * first + second. */
export function objectIdentifier(dotted: string): Buffer {
  const parts = dotted.split('.');
  const arcs = parts.map((p) => (/^(0|[1-9][0-9]*)$/.test(p) ? Number(p) : NaN));
  const [first, second, ...rest] = arcs;
  const bad =
    first === undefined || second === undefined || arcs.some((a) => !Number.isSafeInteger(a)) || first > 2 || (first < 2 && second >= 40);
  if (bad) throw new DerError(`object identifier "${dotted}" is not dotted decimal arcs starting 0.x, 1.x (x < 40) or 2.x`);
  return tlv(TAG.objectIdentifier, Buffer.from([first * 40 + second, ...rest].flatMap(base128)));
}

/**
 * A BIT STRING: whole bytes (a key, a signature) by default; a named bit list (KeyUsage) passes how many
 * trailing bits of the last byte are unused, since DER drops a named list's trailing zero bits (X.690 11.2.2).
 */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  const last = bytes.length === 0 ? 0 : bytes[bytes.length - 1]!;
  const valid = Number.isInteger(unusedBits) && unusedBits >= 0 && unusedBits <= 7 && (bytes.length > 0 || unusedBits === 0);
  if (!valid || (last & ((1 << unusedBits) - 1)) !== 0) {
    throw new DerError(`${unusedBits} unused bits do not fit a ${bytes.length}-byte bit string ending 0x${last.toString(16)}`);
  }
  return tlv(TAG.bitString, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

export function octetString(bytes: Uint8Array): Buffer {
  return tlv(TAG.octetString, bytes);
}

export function utf8String(text: string): Buffer {
  return tlv(TAG.utf8String, Buffer.from(text, 'utf8'));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function isPrintable(text: string): boolean {
  return PRINTABLE.test(text);
}

export function printableString(text: string): Buffer {
  if (!isPrintable(text)) throw new DerError(`"${text}" has characters a PrintableString cannot hold`);
  return tlv(TAG.printableString, Buffer.from(text, 'latin1'));
}

/** IA5String's content (ASCII only), for use under an implicit tag: the SAN's dNSName is one. */
export function ia5Bytes(text: string): Buffer {
  if (!/^[\x00-\x7f]*$/.test(text)) throw new DerError(`"${text}" is not ASCII, so not an IA5String`);
  return Buffer.from(text, 'latin1');
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * A certificate time as RFC 5280 4.1.2.5 wants it: UTCTime (YYMMDDHHMMSSZ) for the years 1950-2049,
 * GeneralizedTime (YYYYMMDDHHMMSSZ) otherwise; whole seconds in UTC, any milliseconds dropped.
 */
export function certificateTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) throw new DerError(`time ${date.toString()} is outside the years 0000-9999`);
  const rest = [date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]
    .map((n) => pad(n, 2))
    .join('');
  const utc = year >= 1950 && year <= 2049;
  const text = `${utc ? pad(year % 100, 2) : pad(year, 4)}${rest}Z`;
  return tlv(utc ? TAG.utcTime : TAG.generalizedTime, Buffer.from(text, 'latin1'));
}

function contextTag(tagNumber: number, constructed: boolean): number {
  // Only the low-tag-number form: a certificate's context tags are all below 31.
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) throw new DerError(`context tag [${tagNumber}] is not in 0-30`);
  return CONTEXT | (constructed ? CONSTRUCTED : 0) | tagNumber;
}

/** [n] EXPLICIT: a constructed wrapper around one complete encoding. */
export function explicit(tagNumber: number, inner: Uint8Array): Buffer {
  return tlv(contextTag(tagNumber, true), inner);
}

/**
 * [n] IMPLICIT: the underlying type's tag replaced, its content kept. Pass the content octets (not a
 * TLV); `constructed` when the underlying type is (a SEQUENCE's children, for instance).
 */
export function implicit(tagNumber: number, content: Uint8Array, constructed = false): Buffer {
  return tlv(contextTag(tagNumber, constructed), content);
}
