/** YAML text to a Located tree, using the `yaml` package's node ranges for line numbers. */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { InputError } from '../errors.js';
import { reportOffset, type Located, type LocatedEntry } from './located.js';

interface Context {
  file: string;
  doc: Document;
  lineOf: (offset: number) => number;
}

/** Alias chains deeper than this are assumed to be a loop (an anchor that contains its own alias). */
const MAX_ALIAS_DEPTH = 64;

/** Returns undefined for a document with no content (empty or only comments). */
export function parseYamlLocated(text: string, file: string): Located | undefined {
  const lineCounter = new LineCounter();
  // prettyErrors off: we print our own "file, line N:" prefix and want the bare message.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    const message = syntaxError.message.split('\n')[0] ?? syntaxError.message;
    throw new InputError(`YAML syntax error: ${message}`, { file, line: lineOf(reportOffset(text, syntaxError.pos[0])) });
  }
  if (doc.contents === null) return undefined;
  return toLocated(doc.contents, { file, doc, lineOf }, 0);
}

/** `fallbackLine` is used for values the parser represents by null, such as `key:` with nothing after it. */
function toLocated(node: unknown, ctx: Context, aliasDepth: number, fallbackLine = 1): Located {
  if (node === null || node === undefined) return { kind: 'scalar', value: null, line: fallbackLine };
  const line = lineOfNode(node, ctx, fallbackLine);
  if (isAlias(node)) {
    const target = node.resolve(ctx.doc);
    if (target === undefined || aliasDepth >= MAX_ALIAS_DEPTH) {
      throw new InputError(`YAML alias *${node.source} cannot be resolved`, { file: ctx.file, line });
    }
    return toLocated(target, ctx, aliasDepth + 1);
  }
  if (isMap(node)) {
    const entries = node.items.map((pair): LocatedEntry => {
      const keyLine = lineOfNode(pair.key, ctx, line);
      if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === 'object') {
        throw new InputError('expected a field name (a plain word) as the mapping key', { file: ctx.file, line: keyLine });
      }
      return { key: String(pair.key.value), keyLine, value: toLocated(pair.value, ctx, aliasDepth, keyLine) };
    });
    return { kind: 'map', entries, line };
  }
  if (isSeq(node)) return { kind: 'list', items: node.items.map((item) => toLocated(item, ctx, aliasDepth, line)), line };
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
