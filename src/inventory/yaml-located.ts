/** YAML text to a Located tree, using the `yaml` package's node ranges for line numbers. */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { InputError } from '../errors.js';
import { MAX_NESTING, reportOffset, type Located, type LocatedEntry } from './located.js';

interface Context {
  file: string;
  doc: Document;
  lineOf: (offset: number) => number;
  /** Values still allowed to come from aliases (each use of an alias copies its whole target). */
  aliasBudget: number;
}

/** Alias chains deeper than this are assumed to be a loop (an anchor that contains its own alias). */
const MAX_ALIAS_DEPTH = 64;
/**
 * Values that aliases may produce in all. Anchors for shared vars copy a few values each; an alias
 * of an alias of ... (a "billion laughs" file) would otherwise grow exponentially in time and memory.
 */
const MAX_ALIAS_VALUES = 100_000;

/** Returns undefined for a document with no content (empty or only comments). */
export function parseYamlLocated(text: string, file: string): Located | undefined {
  const lineCounter = new LineCounter();
  // prettyErrors off: we print our own "file, line N:" prefix and want the bare message.
  // uniqueKeys off: the package compares each key with every earlier one (quadratic in a mapping of
  // 50,000 hosts); toLocated checks duplicates with a set instead.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    const first = syntaxError.message.split('\n')[0] ?? syntaxError.message;
    // The package reports its own stack overflow on deep nesting as an error at the offending spot.
    const message = /Maximum call stack/.test(first) ? `values nested more than ${MAX_NESTING} levels deep` : first;
    throw new InputError(`YAML syntax error: ${message}`, { file, line: lineOf(reportOffset(text, syntaxError.pos[0])) });
  }
  if (doc.contents === null) return undefined;
  return toLocated(doc.contents, { file, doc, lineOf, aliasBudget: MAX_ALIAS_VALUES }, 0, 0);
}

/** `fallbackLine` is used for values the parser represents by null, such as `key:` with nothing after it. */
function toLocated(node: unknown, ctx: Context, aliasDepth: number, nesting: number, fallbackLine = 1): Located {
  if (node === null || node === undefined) return { kind: 'scalar', value: null, line: fallbackLine };
  const line = lineOfNode(node, ctx, fallbackLine);
  if (nesting > MAX_NESTING) throw new InputError(`values nested more than ${MAX_NESTING} levels deep`, { file: ctx.file, line });
  if (aliasDepth > 0 && --ctx.aliasBudget < 0) {
    throw new InputError(`YAML aliases expand to more than ${MAX_ALIAS_VALUES} values`, { file: ctx.file, line });
  }
  if (isAlias(node)) {
    const target = node.resolve(ctx.doc);
    if (target === undefined || aliasDepth >= MAX_ALIAS_DEPTH) {
      throw new InputError(`YAML alias *${node.source} cannot be resolved`, { file: ctx.file, line });
    }
    return toLocated(target, ctx, aliasDepth + 1, nesting);
  }
  if (isMap(node)) {
    const keyLines = new Map<string, number>();
    const entries = node.items.map((pair): LocatedEntry => {
      const keyLine = lineOfNode(pair.key, ctx, line);
      if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === 'object') {
        throw new InputError('expected a field name (a plain word) as the mapping key', { file: ctx.file, line: keyLine });
      }
      const key = String(pair.key.value);
      const earlier = keyLines.get(key);
      if (earlier !== undefined) throw new InputError(`YAML syntax error: Map keys must be unique; "${key}" is already on line ${earlier}`, { file: ctx.file, line: keyLine });
      keyLines.set(key, keyLine);
      return { key, keyLine, value: toLocated(pair.value, ctx, aliasDepth, nesting + 1, keyLine) };
    });
    return { kind: 'map', entries, line };
  }
  if (isSeq(node)) return { kind: 'list', items: node.items.map((item) => toLocated(item, ctx, aliasDepth, nesting + 1, line)), line };
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return { kind: 'scalar', value, line };
    }
    if (typeof value === 'bigint') return { kind: 'scalar', value: Number(value), line };
  }
  throw new InputError('unsupported YAML value (expected a string, number, true/false, list or mapping)', { file: ctx.file, line });
}

function lineOfNode(node: unknown, ctx: Context, fallback = 1): number {
  const range = (node as { range?: readonly number[] | null } | null)?.range;
  const start = range?.[0];
  return start === undefined ? fallback : ctx.lineOf(start);
}
