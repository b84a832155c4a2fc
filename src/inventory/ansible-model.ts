/**
 * An Ansible inventory as its readers (INI, YAML, `ansible-inventory --list` JSON) collect it:
 * groups with hosts, children and vars, hosts with vars, each with the line it was written on.
 * `AnsibleInventory` holds them; `inventoryFromAnsible` applies Ansible's variable precedence and
 * maps the variables twoway understands onto nodes.
 */
import { InputError } from '../errors.js';
import { MAX_NESTING, type Located } from './located.js';
import type { StructuredContext } from './structured.js';

/** One variable as written: errors about its value point here. */
export interface AnsibleVar {
  value: Located;
  field: string;
}

export interface AnsibleHost {
  name: string;
  line: number;
  field: string;
  vars: Map<string, AnsibleVar>;
  /** The groups that list the host itself (not their parents): membership kept on the host, so no group is scanned per host. */
  listedIn: Set<string>;
}

export interface AnsibleGroup {
  name: string;
  line: number;
  children: Map<string, { line: number; field: string }>;
  vars: Map<string, AnsibleVar>;
}

export const ALL = 'all';
export const UNGROUPED = 'ungrouped';

export class AnsibleInventory {
  readonly groups = new Map<string, AnsibleGroup>();
  readonly hosts = new Map<string, AnsibleHost>();

  constructor(readonly ctx: StructuredContext) {
    this.group(ALL, 1);
  }

  /** The group, made on first mention (Ansible lets a child be named before it is defined). */
  group(name: string, line: number): AnsibleGroup {
    let group = this.groups.get(name);
    if (group === undefined) {
      group = { name, line, children: new Map(), vars: new Map() };
      this.groups.set(name, group);
    }
    return group;
  }

  /** A host listed in a group; listing it again (in another group) is the same host. */
  addHost(groupName: string, name: string, line: number, field: string): AnsibleHost {
    let host = this.hosts.get(name);
    if (host === undefined) {
      host = { name, line, field, vars: new Map(), listedIn: new Set() };
      this.hosts.set(name, host);
    }
    this.group(groupName, line);
    host.listedIn.add(groupName);
    return host;
  }

  addChild(parent: string, child: string, line: number, field: string): void {
    if (parent === child) this.fail(line, field, `group "${parent}" cannot be its own child`);
    if (child === ALL) this.fail(line, field, `"${ALL}" is the root of every inventory and cannot be a child of "${parent}"`);
    this.group(child, line);
    const group = this.group(parent, line);
    if (!group.children.has(child)) group.children.set(child, { line, field });
  }

  fail(line: number, field: string | undefined, message: string): never {
    throw new InputError(message, { file: this.ctx.file, line, ...(field === undefined ? {} : { field }) });
  }
}

/** What precedence decides for one host: its groups (with their ancestors) and its effective vars. */
export interface ResolvedHost {
  host: AnsibleHost;
  /** Group names without "all"; ["ungrouped"] when the host is in no other group. */
  groups: string[];
  vars: Map<string, AnsibleVar & { owner: string }>;
}

/**
 * Ansible's order: "all", then groups by depth (parents before children), then by
 * ansible_group_priority, then by name; later ones win; host vars win over every group.
 */
export function resolveHosts(inv: AnsibleInventory): ResolvedHost[] {
  const parents = parentsOf(inv);
  rejectCycles(inv);
  const depth = depthsOf(inv, parents);
  const priority = (group: AnsibleGroup): number => groupPriority(inv, group);
  return [...inv.hosts.values()].map((host) => {
    const member = new Set<string>([ALL]);
    const pending = [...host.listedIn];
    while (pending.length > 0) {
      const name = pending.pop() ?? ALL;
      if (member.has(name)) continue;
      member.add(name);
      pending.push(...(parents.get(name) ?? []));
    }
    const ordered = [...member]
      .map((name) => inv.group(name, 1))
      .sort((a, b) => (depth.get(a.name) ?? 0) - (depth.get(b.name) ?? 0) || priority(a) - priority(b) || a.name.localeCompare(b.name));
    const vars = new Map<string, AnsibleVar & { owner: string }>();
    for (const group of ordered) for (const [key, v] of group.vars) vars.set(key, { ...v, owner: group.name });
    for (const [key, v] of host.vars) vars.set(key, { ...v, owner: host.name });
    const groups = [...member].filter((name) => name !== ALL).sort();
    return { host, groups: groups.length === 0 ? [UNGROUPED] : groups, vars };
  });
}

/** Every group but "all" has parents; one that names none is a child of "all". */
function parentsOf(inv: AnsibleInventory): Map<string, string[]> {
  const parents = new Map<string, string[]>();
  for (const group of inv.groups.values()) {
    for (const child of group.children.keys()) {
      const known = parents.get(child);
      if (known === undefined) parents.set(child, [group.name]);
      else known.push(group.name);
    }
  }
  for (const name of inv.groups.keys()) if (name !== ALL && !parents.has(name)) parents.set(name, [ALL]);
  return parents;
}

/** Groups nest at most MAX_NESTING levels deep: the walks below recurse once per level. */
const TOO_DEEP = `groups nested more than ${MAX_NESTING} levels deep`;

function rejectCycles(inv: AnsibleInventory): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    state.set(name, 'visiting');
    for (const [child, where] of inv.group(name, 1).children) {
      if (state.get(child) === 'visiting') {
        inv.fail(where.line, where.field, `groups form a loop: ${[...trail, name, child].join(' -> ')}; a group cannot contain itself`);
      }
      if (trail.length >= MAX_NESTING) inv.fail(where.line, where.field, `${TOO_DEEP} (${name} -> ${child})`);
      visit(child, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const name of inv.groups.keys()) visit(name, []);
}

/** A group's depth is its longest path from "all" (Ansible sorts shallow groups first). */
function depthsOf(inv: AnsibleInventory, parents: Map<string, string[]>): Map<string, number> {
  const depth = new Map<string, number>([[ALL, 0]]);
  const of = (name: string, level: number): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const group = inv.group(name, 1);
    if (level > MAX_NESTING) inv.fail(group.line, undefined, `${TOO_DEEP} (group "${name}")`);
    const value = 1 + (parents.get(name) ?? [ALL]).reduce((deepest, parent) => Math.max(deepest, of(parent, level + 1)), 0);
    if (value > MAX_NESTING) inv.fail(group.line, undefined, `${TOO_DEEP} (group "${name}")`);
    depth.set(name, value);
    return value;
  };
  for (const name of inv.groups.keys()) of(name, 0);
  return depth;
}

function groupPriority(inv: AnsibleInventory, group: AnsibleGroup): number {
  const at = group.vars.get('ansible_group_priority');
  if (at === undefined) return 1;
  const { value } = at;
  const number = value.kind === 'scalar' && (typeof value.value === 'number' || typeof value.value === 'string') ? Number(value.value) : NaN;
  if (!Number.isInteger(number)) inv.fail(value.line, at.field, `expected ansible_group_priority to be a whole number, found ${JSON.stringify(value.kind === 'scalar' ? value.value : value.kind)}`);
  return number;
}
