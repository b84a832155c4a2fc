/**
 * Reading an inventory: twoway's YAML/JSON, Ansible's (INI, YAML, `ansible-inventory --list` JSON),
 * a plain host list, or `--node` flags. Everything is validated
 * up front; the first problem is an InputError with file, line and field, and nothing partial is
 * returned.
 */
import { isIP } from 'node:net';
import { dirname, extname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { readTextFile } from '../text-file.js';
import { inventoryFromIni } from './ansible-ini.js';
import { inventoryFromAnsibleTree, looksLikeAnsibleTree } from './ansible-tree.js';
import { hostSpecsFromList, nodesFromHostSpecs } from './hostlist.js';
import { parseHostSpec } from './hostspec.js';
import { parseJsonLocated } from './json-located.js';
import type { Located } from './located.js';
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

/** The syntax, told by extension or content; YAML and JSON then hold either twoway's or Ansible's shape. */
export type InventoryFormat = 'yaml' | 'json' | 'ini' | 'hostlist';

/** What a file was read as, for `twoway inventory`. */
export type InventoryKind = 'twoway-yaml' | 'twoway-json' | 'ansible-ini' | 'ansible-yaml' | 'ansible-json' | 'hostlist';

/** Where `--node` nodes say they came from. */
export const NODE_FLAG = '--node';

export function loadInventory(path: string, opts: InventoryOptions): Inventory {
  return parseInventoryText(readInventoryFile(path), path, opts);
}

/**
 * The largest inventory read: 50,000 nodes with every field set take 7.4 MB as twoway YAML and
 * 11.6 MB as indented JSON. Larger is more likely the wrong file, and YAML costs about 100 bytes of
 * memory per byte of text to parse.
 */
export const MAX_INVENTORY_BYTES = 16 * 1024 * 1024;

function readInventoryFile(path: string): string {
  return readTextFile(path, { what: 'the inventory', maxBytes: MAX_INVENTORY_BYTES });
}

export function parseInventoryText(text: string, file: string, opts: InventoryOptions): Inventory {
  return readInventoryText(text, file, opts).inventory;
}

export function loadInventoryDescribed(path: string, opts: InventoryOptions): { inventory: Inventory; kind: InventoryKind } {
  return readInventoryText(readInventoryFile(path), path, opts);
}

function readInventoryText(text: string, file: string, opts: InventoryOptions): { inventory: Inventory; kind: InventoryKind } {
  // A byte order mark is not content; JSON would reject it and the sniffing below would miss '{'.
  const content = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const format = detectFormat(content, file);
  if (format === 'hostlist') {
    return { kind: 'hostlist', inventory: { nodes: nodesFromHostSpecs(hostSpecsFromList(content, file), opts.defaultProfile), controller: {} } };
  }
  const context = { file, baseDir: dirname(resolve(file)), ...opts };
  if (format === 'ini') return { kind: 'ansible-ini', inventory: inventoryFromIni(content, context) };
  // When a file was recognised as JSON by looking past leading # comments, let those comments be.
  const tree: Located | undefined =
    format === 'yaml' ? parseYamlLocated(content, file) : parseJsonLocated(hasJsonExtension(file) ? content : blankLeadingComments(content), file);
  if (tree !== undefined && looksLikeAnsibleTree(tree)) {
    return { kind: format === 'yaml' ? 'ansible-yaml' : 'ansible-json', inventory: inventoryFromAnsibleTree(tree, context) };
  }
  return { kind: format === 'yaml' ? 'twoway-yaml' : 'twoway-json', inventory: inventoryFromLocated(tree, context) };
}

export function inventoryFromHostSpecs(specs: readonly string[], opts: InventoryOptions): Inventory {
  // A command-line flag has no line: the error names the flag and the value.
  const where = { file: NODE_FLAG, field: NODE_FLAG };
  if (specs.length === 0) throw new InputError('no nodes given; expected at least one --node [user@]host[:port]', where);
  const located = specs.map((spec) => ({ spec: parseHostSpec(spec, where), from: { file: NODE_FLAG, line: 0 }, field: NODE_FLAG }));
  return { nodes: nodesFromHostSpecs(located, opts.defaultProfile), controller: {} };
}

/**
 * By extension; otherwise by content: '{' first means JSON; a known top-level key (twoway's, or an
 * Ansible group's hosts/children/vars) means YAML; a [section] header or a host line with
 * key=value means Ansible INI; anything else is a host list.
 */
export function detectFormat(text: string, file: string): InventoryFormat {
  const extension = extname(file).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  if (hasJsonExtension(file)) return 'json';
  if (extension === '.ini') return 'ini';
  if (firstSignificantChar(text) === '{') return 'json';
  if (/^\s*(nodes|defaults|controller|ssh_config)\s*:/m.test(text)) return 'yaml';
  if (/^\s+(hosts|children|vars)\s*:(\s|$)/m.test(text) && /^[A-Za-z_][\w.-]*\s*:\s*$/m.test(text)) return 'yaml';
  const lines = text.split(/\r?\n/).filter((line) => !isBlankOrComment(line) && !line.trim().startsWith(';'));
  if (lines.some((line) => isIniHeader(line.trim()) || /^\S+\s+[A-Za-z_]\w*=/.test(line.trim()))) return 'ini';
  return 'hostlist';
}

/** `[web]`, `[web:vars]`; not `[fd00::5]`, which is a host-list line (IPv6 in brackets). */
function isIniHeader(line: string): boolean {
  const inside = /^\[([^\]]+)\]$/.exec(line)?.[1];
  return inside !== undefined && isIP(inside) === 0;
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
