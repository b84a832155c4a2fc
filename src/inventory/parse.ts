/**
 * Reading an inventory: YAML, JSON or a plain host list, or `--node` flags. Everything is validated
 * up front; the first problem is an InputError with file, line and field, and nothing partial is
 * returned.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { hostSpecsFromList, nodesFromHostSpecs } from './hostlist.js';
import { parseHostSpec } from './hostspec.js';
import { parseJsonLocated } from './json-located.js';
import { inventoryFromLocated } from './structured.js';
import type { Inventory } from './types.js';
import { parseYamlLocated } from './yaml-located.js';

export { parseHostSpec, type HostSpec } from './hostspec.js';

export interface InventoryOptions {
  /** Profiles a node may name; anything else is an error. */
  knownProfiles: readonly string[];
  /** The profile of nodes that do not name one (and of every host-list and --node node). */
  defaultProfile: string;
}

export type InventoryFormat = 'yaml' | 'json' | 'hostlist';

/** Where `--node` nodes say they came from. */
export const NODE_FLAG = '--node';

export function loadInventory(path: string, opts: InventoryOptions): Inventory {
  return parseInventoryText(readInventoryFile(path), path, opts);
}

function readInventoryFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'it is a directory, not a file' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new InputError(`cannot read the inventory: ${reason}`, { file: path }, { cause: error });
  }
}

export function parseInventoryText(text: string, file: string, opts: InventoryOptions): Inventory {
  // A byte order mark is not content; JSON would reject it and the sniffing below would miss '{'.
  const content = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const format = detectFormat(content, file);
  if (format === 'hostlist') {
    return { nodes: nodesFromHostSpecs(hostSpecsFromList(content, file), opts.defaultProfile), controller: {} };
  }
  const context = { file, baseDir: dirname(resolve(file)), ...opts };
  if (format === 'yaml') return inventoryFromLocated(parseYamlLocated(content, file), context);
  // When a file was recognised as JSON by looking past leading # comments, let those comments be.
  const json = hasJsonExtension(file) ? content : blankLeadingComments(content);
  return inventoryFromLocated(parseJsonLocated(json, file), context);
}

export function inventoryFromHostSpecs(specs: readonly string[], opts: InventoryOptions): Inventory {
  const where = { file: NODE_FLAG, line: 0, field: NODE_FLAG };
  if (specs.length === 0) throw new InputError('no nodes given; expected at least one --node [user@]host[:port]', where);
  const located = specs.map((spec) => ({ spec: parseHostSpec(spec, where), from: { file: NODE_FLAG, line: 0 }, field: NODE_FLAG }));
  return { nodes: nodesFromHostSpecs(located, opts.defaultProfile), controller: {} };
}

/** By extension; otherwise by content: '{' first means JSON, a known top-level key means YAML. */
export function detectFormat(text: string, file: string): InventoryFormat {
  const extension = extname(file).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  if (hasJsonExtension(file)) return 'json';
  if (firstSignificantChar(text) === '{') return 'json';
  if (/^\s*(nodes|defaults|controller|ssh_config)\s*:/m.test(text)) return 'yaml';
  return 'hostlist';
}

function hasJsonExtension(file: string): boolean {
  return extname(file).toLowerCase() === '.json';
}

function isBlankOrComment(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

function firstSignificantChar(text: string): string | undefined {
  return text.split('\n').find((line) => !isBlankOrComment(line))?.trim()[0];
}

/** Replaces leading comment lines by spaces, so JSON offsets and line numbers stay the same. */
function blankLeadingComments(text: string): string {
  const lines = text.split('\n');
  const firstContent = lines.findIndex((line) => !isBlankOrComment(line));
  return lines.map((line, index) => (index < firstContent ? ' '.repeat(line.length) : line)).join('\n');
}
