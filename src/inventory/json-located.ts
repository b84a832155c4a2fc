/**
 * JSON text to a Located tree. A small strict JSON (RFC 8259) reader instead of JSON.parse, because
 * JSON.parse neither keeps lines nor always says where a syntax error is (Node 20's "Unexpected
 * token" messages carry no position), and it silently keeps the last of two equal keys, which would
 * hide a typo. String and number tokens are still decoded by JSON.parse, once they are known valid.
 */
import { InputError } from '../errors.js';
import { MAX_NESTING, lineFinder, reportOffset, type Located, type LocatedEntry } from './located.js';

interface Cursor {
  text: string;
  pos: number;
  file: string;
  lineOf: (offset: number) => number;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const SIMPLE_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const LITERALS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;

export function parseJsonLocated(text: string, file: string): Located {
  const cursor: Cursor = { text, pos: 0, file, lineOf: lineFinder(text) };
  skipWhitespace(cursor);
  const value = readValue(cursor, '', 0);
  skipWhitespace(cursor);
  if (cursor.pos < text.length) syntaxError(cursor, `expected the end of the file after the top-level value, found ${describeNext(cursor)}`);
  return value;
}

function readValue(c: Cursor, path: string, nesting: number): Located {
  const line = c.lineOf(c.pos);
  const next = c.text[c.pos];
  if ((next === '{' || next === '[') && nesting >= MAX_NESTING) syntaxError(c, `values nested more than ${MAX_NESTING} levels deep`);
  if (next === '{') return readObject(c, path, nesting + 1);
  if (next === '[') return readArray(c, path, nesting + 1);
  if (next === '"') return { kind: 'scalar', value: readString(c), line };
  if (next === '-' || (next !== undefined && next >= '0' && next <= '9')) return { kind: 'scalar', value: readNumber(c), line };
  for (const [word, value] of LITERALS) {
    if (c.text.startsWith(word, c.pos)) {
      c.pos += word.length;
      return { kind: 'scalar', value, line };
    }
  }
  return syntaxError(c, `expected a value (string, number, object, array, true, false or null), found ${describeNext(c)}`);
}

function readObject(c: Cursor, path: string, nesting: number): Located {
  const line = c.lineOf(c.pos);
  c.pos++; // {
  const entries: LocatedEntry[] = [];
  // A set, not a scan of the entries: `_meta.hostvars` of a large fleet has tens of thousands of keys.
  const keys = new Set<string>();
  skipWhitespace(c);
  if (consume(c, '}')) return { kind: 'map', entries, line };
  for (;;) {
    skipWhitespace(c);
    if (c.text[c.pos] !== '"') syntaxError(c, `expected a field name in double quotes, found ${describeNext(c)}`);
    const keyLine = c.lineOf(c.pos);
    const key = readString(c);
    const field = path === '' ? key : `${path}.${key}`;
    if (keys.has(key)) {
      throw new InputError(`duplicate field "${key}" (JSON would silently keep only the last one)`, { file: c.file, line: keyLine, field });
    }
    skipWhitespace(c);
    if (!consume(c, ':')) syntaxError(c, `expected ':' after field name "${key}", found ${describeNext(c)}`);
    skipWhitespace(c);
    keys.add(key);
    entries.push({ key, keyLine, value: readValue(c, field, nesting) });
    skipWhitespace(c);
    if (consume(c, '}')) return { kind: 'map', entries, line };
    if (!consume(c, ',')) syntaxError(c, `expected ',' or '}' after the value of "${key}", found ${describeNext(c)}`);
  }
}

function readArray(c: Cursor, path: string, nesting: number): Located {
  const line = c.lineOf(c.pos);
  c.pos++; // [
  const items: Located[] = [];
  skipWhitespace(c);
  if (consume(c, ']')) return { kind: 'list', items, line };
  for (;;) {
    skipWhitespace(c);
    items.push(readValue(c, `${path}[${items.length}]`, nesting));
    skipWhitespace(c);
    if (consume(c, ']')) return { kind: 'list', items, line };
    if (!consume(c, ',')) syntaxError(c, `expected ',' or ']' after a list item, found ${describeNext(c)}`);
  }
}

function readString(c: Cursor): string {
  const start = c.pos;
  let i = start + 1;
  for (;;) {
    const ch = c.text[i];
    if (ch === undefined || ch === '\n') syntaxError({ ...c, pos: start }, 'unterminated string (missing closing ")');
    if (ch === '"') break;
    if (ch < ' ') syntaxError({ ...c, pos: i }, 'control character inside a string (write newlines and tabs as \\n and \\t)');
    if (ch === '\\') {
      const escaped = c.text[i + 1] ?? '';
      if (SIMPLE_ESCAPES.has(escaped)) i += 2;
      else if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(c.text.slice(i + 2, i + 6))) i += 6;
      else syntaxError({ ...c, pos: i }, `invalid escape "\\${escaped}" inside a string`);
    } else {
      i++;
    }
  }
  c.pos = i + 1;
  return JSON.parse(c.text.slice(start, c.pos)) as string;
}

function readNumber(c: Cursor): number {
  NUMBER.lastIndex = c.pos;
  const match = NUMBER.exec(c.text);
  if (match === null) return syntaxError(c, `expected a number, found ${describeNext(c)}`);
  c.pos += match[0].length;
  return Number(match[0]);
}

function skipWhitespace(c: Cursor): void {
  while (c.pos < c.text.length && ' \t\n\r'.includes(c.text[c.pos] ?? '')) c.pos++;
}

function consume(c: Cursor, char: string): boolean {
  if (c.text[c.pos] !== char) return false;
  c.pos++;
  return true;
}

function describeNext(c: Cursor): string {
  const next = c.text[c.pos];
  return next === undefined ? 'the end of the file' : JSON.stringify(next);
}

function syntaxError(c: Cursor, message: string): never {
  throw new InputError(`JSON syntax error: ${message}`, { file: c.file, line: c.lineOf(reportOffset(c.text, c.pos)) });
}
