/**
 * A parsed YAML or JSON document with the line of every value and key, so one validator serves
 * both formats and every error can point at its line.
 */

export type Located = LocatedScalar | LocatedList | LocatedMap;

/**
 * How deep lists and mappings may nest. Inventories, profile files and reports need fewer than 10
 * levels; the readers recurse, so a file of 100,000 "[" must be an error, not a stack overflow.
 */
export const MAX_NESTING = 64;

export interface LocatedScalar {
  kind: 'scalar';
  value: string | number | boolean | null;
  line: number;
}

export interface LocatedList {
  kind: 'list';
  items: Located[];
  line: number;
}

export interface LocatedMap {
  kind: 'map';
  entries: LocatedEntry[];
  line: number;
}

export interface LocatedEntry {
  key: string;
  keyLine: number;
  value: Located;
}

/** The "found ..." half of an error message. */
export function describeFound(value: Located): string {
  if (value.kind === 'list') return value.items.length === 0 ? 'an empty list' : 'a list';
  if (value.kind === 'map') return 'a mapping';
  if (value.value === null) return 'nothing (an empty value)';
  if (typeof value.value === 'string') return `${JSON.stringify(value.value)} (a string)`;
  return String(value.value);
}

/** Maps character offsets to 1-based line numbers. */
export function lineFinder(text: string): (offset: number) => number {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  return (offset) => {
    // Binary search for the last line start at or before offset.
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

/**
 * Where to report a syntax error found at `offset`: errors at the very end ("missing ]") point at
 * the last line with content rather than at the empty line after the final newline.
 */
export function reportOffset(text: string, offset: number): number {
  if (offset < text.trimEnd().length) return offset;
  return Math.max(0, text.trimEnd().length - 1);
}
