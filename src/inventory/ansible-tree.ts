/**
 * Ansible inventories as a tree: the YAML inventory (`all: {hosts, children, vars}`, hosts and
 * children as mappings) and the JSON of `ansible-inventory --list` (groups with `hosts` and
 * `children` as lists of names, host variables under `_meta.hostvars`; a group may also be a bare
 * list of hosts, as inventory scripts write it). One reader takes both shapes; field paths in
 * errors follow the document (`all.children.web.hosts.web01.ansible_port`).
 */
import { AnsibleInventory } from './ansible-model.js';
import { inventoryFromAnsible } from './ansible-vars.js';
import { expandHostPattern } from './host-range.js';
import { describeFound, type Located, type LocatedEntry } from './located.js';
import type { StructuredContext } from './structured.js';
import type { Inventory } from './types.js';

const GROUP_FIELDS = ['hosts', 'children', 'vars'];
const META = '_meta';

/** True when a YAML/JSON document is an Ansible inventory rather than twoway's own (which has "nodes"). */
export function looksLikeAnsibleTree(root: Located | undefined): boolean {
  if (root === undefined || root.kind !== 'map' || root.entries.length === 0) return false;
  return !root.entries.some((entry) => ['nodes', 'defaults', 'controller', 'ssh_config'].includes(entry.key));
}

export function inventoryFromAnsibleTree(root: Located, ctx: StructuredContext): Inventory {
  const inv = new AnsibleInventory(ctx);
  const entries = mapEntries(root, '', inv, 'a mapping of groups (all: {hosts, children, vars})');
  for (const entry of entries) if (entry.key !== META) readGroup(entry.key, entry.value, entry.key, entry.keyLine, inv);
  const meta = entries.find((entry) => entry.key === META);
  if (meta !== undefined) readMeta(meta.value, inv);
  return inventoryFromAnsible(inv);
}

function readGroup(name: string, value: Located, path: string, line: number, inv: AnsibleInventory): void {
  inv.group(name, line);
  if (value.kind === 'scalar' && value.value === null) return;
  if (value.kind === 'list') {
    readHosts(name, value, path, inv);
    return;
  }
  for (const entry of mapEntries(value, path, inv, 'a group: a mapping with hosts, children and vars')) {
    const field = `${path}.${entry.key}`;
    if (!GROUP_FIELDS.includes(entry.key)) inv.fail(entry.keyLine, field, `unknown group field "${entry.key}"; expected one of ${GROUP_FIELDS.join(', ')}`);
    if (entry.key === 'hosts') readHosts(name, entry.value, field, inv);
    else if (entry.key === 'vars') readVars(entry.value, field, inv, inv.group(name, line).vars);
    else readChildren(name, entry.value, field, inv);
  }
}

/** YAML: a mapping of host pattern to its vars (or nothing); JSON: a list of host names. */
function readHosts(group: string, value: Located, path: string, inv: AnsibleInventory): void {
  if (value.kind === 'scalar' && value.value === null) return;
  if (value.kind === 'list') {
    value.items.forEach((item, index) => addHosts(group, hostName(item, `${path}[${index}]`, inv), item.line, `${path}[${index}]`, undefined, inv));
    return;
  }
  for (const entry of mapEntries(value, path, inv, 'hosts: a mapping of host names (or a list)')) {
    const field = `${path}.${entry.key}`;
    addHosts(group, entry.key, entry.keyLine, field, entry.value, inv);
  }
}

function addHosts(group: string, pattern: string, line: number, field: string, vars: Located | undefined, inv: AnsibleInventory): void {
  const expanded = expandHostPattern(pattern);
  if (typeof expanded === 'string') inv.fail(line, field, `expected a host name or pattern like web[01:20], found ${JSON.stringify(pattern)}: ${expanded}`);
  for (const name of expanded.names) {
    const host = inv.addHost(group, name, line, field);
    if (expanded.port !== undefined) host.vars.set('ansible_port', { value: { kind: 'scalar', value: expanded.port, line }, field });
    if (vars !== undefined && !(vars.kind === 'scalar' && vars.value === null)) readVars(vars, field, inv, host.vars);
  }
}

function readChildren(parent: string, value: Located, path: string, inv: AnsibleInventory): void {
  if (value.kind === 'scalar' && value.value === null) return;
  if (value.kind === 'list') {
    value.items.forEach((item, index) => inv.addChild(parent, hostName(item, `${path}[${index}]`, inv), item.line, `${path}[${index}]`));
    return;
  }
  for (const entry of mapEntries(value, path, inv, 'children: a mapping of groups (or a list of group names)')) {
    const field = `${path}.${entry.key}`;
    inv.addChild(parent, entry.key, entry.keyLine, field);
    readGroup(entry.key, entry.value, field, entry.keyLine, inv);
  }
}

function readMeta(value: Located, inv: AnsibleInventory): void {
  for (const entry of mapEntries(value, META, inv, 'a mapping with "hostvars"')) {
    if (entry.key !== 'hostvars') continue;
    for (const host of mapEntries(entry.value, `${META}.hostvars`, inv, 'a mapping of host name to its variables')) {
      const field = `${META}.hostvars.${host.key}`;
      // A host only in hostvars belongs to no group but "all".
      const known = inv.hosts.get(host.key) ?? inv.addHost('all', host.key, host.keyLine, field);
      readVars(host.value, field, inv, known.vars);
    }
  }
}

function readVars(value: Located, path: string, inv: AnsibleInventory, into: Map<string, { value: Located; field: string }>): void {
  if (value.kind === 'scalar' && value.value === null) return;
  for (const entry of mapEntries(value, path, inv, 'variables: a mapping of name to value')) {
    into.set(entry.key, { value: entry.value, field: `${path}.${entry.key}` });
  }
}

function hostName(item: Located, field: string, inv: AnsibleInventory): string {
  if (item.kind !== 'scalar' || typeof item.value !== 'string' || item.value === '') inv.fail(item.line, field, `expected a name, found ${describeFound(item)}`);
  return item.value;
}

function mapEntries(value: Located, path: string, inv: AnsibleInventory, what: string): LocatedEntry[] {
  if (value.kind !== 'map') return inv.fail(value.line, path === '' ? undefined : path, `expected ${what}, found ${describeFound(value)}`);
  return value.entries;
}
