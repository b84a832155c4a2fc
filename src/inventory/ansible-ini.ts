/**
 * Ansible's INI inventory: `[group]` sections of host lines (`pattern key=value ...`), hosts before
 * any section (ungrouped), `[group:children]` (one group per line) and `[group:vars]` (`key=value`
 * per line). `#` and `;` start comment lines; on host lines `#` outside quotes ends the line.
 * Errors name the line and, as the field, the variable or what the line should hold.
 */
import type { Located } from './located.js';
import { AnsibleInventory, UNGROUPED } from './ansible-model.js';
import { inventoryFromAnsible } from './ansible-vars.js';
import { expandHostPattern } from './host-range.js';
import type { StructuredContext } from './structured.js';
import type { Inventory } from './types.js';

type Section = { kind: 'hosts' | 'children' | 'vars'; group: string };

const HEADER = /^\[([^\]]*)\]\s*(?:[#;].*)?$/;
/** Ansible warns about "-" and "." in group names but takes them, so twoway does too. */
const GROUP_NAME = /^[A-Za-z0-9_.-]+$/;
const GROUP_NAME_RULE = 'letters, digits, "_", "." and "-"';
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function inventoryFromIni(text: string, ctx: StructuredContext): Inventory {
  const inv = new AnsibleInventory(ctx);
  let section: Section = { kind: 'hosts', group: UNGROUPED };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const header = HEADER.exec(trimmed);
    if (header !== null) {
      section = readHeader(header[1] ?? '', line, inv);
      return;
    }
    if (section.kind === 'vars') readVarLine(trimmed, line, section.group, inv);
    else if (section.kind === 'children') readChildLine(trimmed, line, section.group, inv);
    else readHostLine(trimmed, line, section.group, inv);
  });
  return inventoryFromAnsible(inv);
}

function readHeader(inside: string, line: number, inv: AnsibleInventory): Section {
  const [group = '', suffix, ...rest] = inside.trim().split(':');
  if (rest.length > 0 || (suffix !== undefined && suffix !== 'vars' && suffix !== 'children')) {
    inv.fail(line, 'section', `expected a section header [group], [group:vars] or [group:children], found [${inside}]`);
  }
  checkGroupName(group, line, 'section', inv);
  inv.group(group, line);
  return { kind: suffix === 'vars' ? 'vars' : suffix === 'children' ? 'children' : 'hosts', group };
}

function checkGroupName(name: string, line: number, field: string, inv: AnsibleInventory): void {
  if (!GROUP_NAME.test(name)) inv.fail(line, field, `expected a group name (${GROUP_NAME_RULE}), found ${JSON.stringify(name)}`);
}

function readVarLine(text: string, line: number, group: string, inv: AnsibleInventory): void {
  const eq = text.indexOf('=');
  const key = (eq < 0 ? text : text.slice(0, eq)).trim();
  if (eq < 0 || !VAR_NAME.test(key)) inv.fail(line, `[${group}:vars]`, `expected key=value, found ${JSON.stringify(text)}`);
  inv.group(group, line).vars.set(key, { value: scalar(unquote(text.slice(eq + 1).trim()), line), field: key });
}

function readChildLine(text: string, line: number, parent: string, inv: AnsibleInventory): void {
  const child = text.split(/\s+[#;]/)[0]?.trim() ?? '';
  checkGroupName(child, line, `[${parent}:children]`, inv);
  inv.addChild(parent, child, line, `[${parent}:children]`);
}

function readHostLine(text: string, line: number, group: string, inv: AnsibleInventory): void {
  const tokens = splitWords(text);
  if (typeof tokens === 'string') inv.fail(line, 'host', tokens);
  const [pattern = '', ...assignments] = tokens;
  const expanded = expandHostPattern(pattern);
  if (typeof expanded === 'string') inv.fail(line, 'host', `expected a host name or pattern like web[01:20], found ${JSON.stringify(pattern)}: ${expanded}`);
  const vars = assignments.map((word) => {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    if (eq < 0 || !VAR_NAME.test(key)) inv.fail(line, 'host', `expected key=value after the host "${pattern}", found ${JSON.stringify(word)}`);
    return { key, value: word.slice(eq + 1) };
  });
  for (const name of expanded.names) {
    const host = inv.addHost(group, name, line, 'host');
    if (expanded.port !== undefined) host.vars.set('ansible_port', { value: { kind: 'scalar', value: expanded.port, line }, field: 'host' });
    for (const { key, value } of vars) host.vars.set(key, { value: scalar(value, line), field: key });
  }
}

function scalar(value: string, line: number): Located {
  return { kind: 'scalar', value, line };
}

function unquote(text: string): string {
  const quoted = /^(['"])(.*)\1$/.exec(text);
  return quoted === null ? text : (quoted[2] ?? '');
}

/**
 * Words as a shell would split them: quotes group (and are removed), a backslash escapes the next
 * character, `#` outside quotes at the start of a word ends the line.
 */
function splitWords(text: string): string[] | string {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) word += text[++i] ?? '';
      else word += ch;
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === '#' && word === undefined) {
      break;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (ch === '\\' && i + 1 < text.length) {
      word = (word ?? '') + (text[++i] ?? '');
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote !== undefined) return `unterminated ${quote} quote`;
  if (word !== undefined) words.push(word);
  return words;
}
