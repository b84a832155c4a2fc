/**
 * Reading an input file the operator names (inventory, profile file, hpsum.ini): at most a limit of
 * bytes, so a wrong file (a disk image, /dev/zero, a log) fails at once instead of filling memory,
 * and only text: UTF-8 without NUL bytes. A binary file must not parse as an empty configuration.
 * Every error is an InputError naming the file (and the flag it came from).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from './errors.js';

export interface TextFileRule {
  /** What the file is, for messages: "the inventory", "the profile file". */
  what: string;
  maxBytes: number;
  /** The flag that named the file, as the error's field. */
  field?: string;
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'file not found',
  EISDIR: 'it is a directory, not a file',
  EACCES: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
};

/** A size as an operator reads it: bytes, and MiB once it is large. */
export function bytesText(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} bytes` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB (${bytes} bytes)`;
}

export function readTextFile(file: string, rule: TextFileRule): string {
  const where = { file, ...(rule.field === undefined ? {} : { field: rule.field }) };
  const cannotRead = (err: unknown): InputError => {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === undefined ? (err as Error).message : ERRNO_WORDS[code] === undefined ? code : `${code} (${ERRNO_WORDS[code]})`;
    return new InputError(`cannot read ${rule.what}: ${reason}`, where, { cause: err });
  };
  const tooBig = (size: string): InputError =>
    new InputError(`${rule.what} is ${size}, more than the limit of ${bytesText(rule.maxBytes)}; is it the right file?`, where);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw cannotRead(err);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw cannotRead(Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
    if (stat.isFile() && stat.size > rule.maxBytes) throw tooBig(bytesText(stat.size));
    // A pipe or device has no size up front (and /dev/zero never ends): read one byte past the limit at most.
    const buffer = Buffer.alloc(stat.isFile() ? stat.size + 1 : rule.maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > rule.maxBytes) throw tooBig(`larger than ${bytesText(rule.maxBytes)}`);
      if (length === buffer.length) break;
    }
    return decodeText(buffer.subarray(0, length), file, rule);
  } catch (err) {
    throw err instanceof InputError ? err : cannotRead(err);
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 text without NUL bytes; a leading byte order mark (Windows editors write one) is dropped. */
export function decodeText(bytes: Uint8Array, file: string, rule: Pick<TextFileRule, 'what' | 'field'>): string {
  const notText = (offset: number, why: string): InputError => {
    const line = 1 + bytes.subarray(0, offset).reduce((lines, byte) => lines + (byte === 0x0a ? 1 : 0), 0);
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) ? '; it looks like UTF-16: save it as UTF-8' : '';
    return new InputError(`${rule.what} is not a text file: ${why} at byte ${offset}${utf16}`, { file, line, ...(rule.field === undefined ? {} : { field: rule.field }) });
  };
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw notText(nul, 'a NUL byte');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw notText(firstInvalidUtf8(bytes), 'invalid UTF-8');
  }
}

/** Where UTF-8 decoding first fails (TextDecoder says only that it did): the start of the first bad sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i] ?? 0;
    const more = lead < 0x80 ? 0 : lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : -1;
    if (more < 0) return i;
    for (let k = 1; k <= more; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid too.
    const second = bytes[i + 1] ?? 0;
    if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second >= 0xa0) || (lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second >= 0x90)) return i;
    i += more + 1;
  }
  return bytes.length;
}
