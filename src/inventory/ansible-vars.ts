/**
 * The Ansible variables twoway understands, mapped onto nodes. Other variables are ignored (an
 * inventory made for playbooks carries many); a known variable with a bad value is an error at the
 * line that set it, and so is any unknown `twoway_*` variable, which can only be a typo.
 *
 *   ansible_host (ansible_ssh_host)            the address SSH goes to (default: the inventory name)
 *   ansible_user (ansible_ssh_user)            SSH user
 *   ansible_port (ansible_ssh_port, host:port) SSH port
 *   ansible_ssh_private_key_file (ansible_private_key_file)  key, relative to the inventory's directory
 *   twoway_addresses                           every address of a dual-homed node (list, or comma-separated)
 *   twoway_profile                             the node's profile
 *   twoway_manager                             the update manager that judges the node (instead of --manager)
 * Run-wide, only in the "all" group's vars ([all:vars]):
 *   twoway_controller_netns, twoway_callback_addresses, twoway_ssh_config
 */
import { describeFound, type Located } from './located.js';
import { ALL, resolveHosts, type AnsibleInventory, type AnsibleVar, type ResolvedHost } from './ansible-model.js';
import {
  fail,
  readAddress,
  readIpAddress,
  readPath,
  readManager,
  readProfile,
  readSimpleName,
  readUser,
  withoutUndefined,
  type FieldValue,
  type StructuredContext,
} from './structured.js';
import type { ControllerSpec, Inventory, NodeSpec } from './types.js';
import { portFromText, sshAliasProblem } from './validate.js';
import { REDFISH_FIELDS, redfishSpecOf, type RedfishField, type RedfishSpec } from './redfish.js';

const NODE_VARS = ['twoway_addresses', 'twoway_profile', 'twoway_manager', ...REDFISH_FIELDS.map((f) => `twoway_redfish_${f}` as const)] as const;
const RUN_VARS = ['twoway_controller_netns', 'twoway_callback_addresses', 'twoway_ssh_config'] as const;
/** Where Ansible has an older name too, the current one wins when both are set. */
const ALIASES = {
  address: ['ansible_host', 'ansible_ssh_host'],
  user: ['ansible_user', 'ansible_ssh_user'],
  port: ['ansible_port', 'ansible_ssh_port'],
  key: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
} as const;

type Vars = ResolvedHost['vars'];

export function inventoryFromAnsible(inv: AnsibleInventory): Inventory {
  const { ctx } = inv;
  const resolved = resolveHosts(inv);
  if (resolved.length === 0) fail(ctx, 1, undefined, 'the Ansible inventory has no hosts');
  rejectMisplacedVars(inv);
  const allVars = inv.group(ALL, 1).vars;
  return withoutUndefined({
    nodes: resolved.map((host) => nodeOf(host, ctx)),
    controller: controllerOf(allVars, ctx),
    sshConfig: at(allVars, 'twoway_ssh_config', (v) => readPath(v, ctx, 'an ssh_config file path')),
  });
}

function nodeOf({ host, groups, vars }: ResolvedHost, ctx: StructuredContext): NodeSpec {
  rejectTemplates(vars, ctx);
  const nameProblem = sshAliasProblem(host.name);
  if (nameProblem !== undefined) fail(ctx, host.line, host.field, `expected a host name, found ${JSON.stringify(host.name)} (${nameProblem})`);
  const address = first(vars, ALIASES.address, (v) => readAddress(v, ctx));
  const more = at(vars, 'twoway_addresses', (v) => readAddresses(v, ctx));
  // SSH goes to ansible_host when set, else to the first of twoway_addresses, else to the name.
  const addresses =
    more === undefined ? [address ?? nameAsAddress(host.name, host.line, host.field, ctx)] : address === undefined ? more : [address, ...more.filter((a) => a !== address)];
  return withoutUndefined({
    name: host.name,
    addresses,
    user: first(vars, ALIASES.user, (v) => readUser(v, ctx)),
    port: first(vars, ALIASES.port, (v) => readPortText(v, ctx)),
    key: first(vars, ALIASES.key, (v) => readPath(v, ctx, 'an SSH private key file path')),
    profile: at(vars, 'twoway_profile', (v) => readProfile(v, ctx)) ?? ctx.defaultProfile,
    groups,
    manager: at(vars, 'twoway_manager', (v) => readManager(v, ctx)),
    redfish: redfishOf(vars, host.line, ctx),
    from: { file: ctx.file, line: host.line },
  });
}

/** The twoway_redfish_* variables (src/inventory/redfish.ts), when any is set; an INI port is text. */
function redfishOf(vars: Vars, hostLine: number, ctx: StructuredContext): RedfishSpec | undefined {
  const given = REDFISH_FIELDS.filter((f) => vars.has(`twoway_redfish_${f}`));
  if (given.length === 0) return undefined;
  const values: Partial<Record<RedfishField, string | number>> = {};
  for (const f of given) {
    const v = vars.get(`twoway_redfish_${f}`)!;
    const value = v.value.kind === 'scalar' ? v.value.value : undefined;
    if (typeof value !== 'string' && typeof value !== 'number') fail(ctx, v.value.line, v.field, `expected a value, found ${describeFound(v.value)}`);
    values[f] = f === 'port' && typeof value === 'string' && /^[0-9]+$/.test(value.trim()) ? Number(value) : f.endsWith('_file') ? readPath(v, ctx, 'a file path') : (value as string | number);
  }
  return redfishSpecOf(values, (f, message) => {
    const v = vars.get(`twoway_redfish_${f}`);
    return fail(ctx, v?.value.line ?? hostLine, v?.field ?? `twoway_redfish_${f}`, message);
  });
}

function nameAsAddress(name: string, line: number, field: string, ctx: StructuredContext): string {
  return readAddress({ value: { kind: 'scalar', value: name, line }, field }, ctx);
}

function controllerOf(allVars: Map<string, AnsibleVar>, ctx: StructuredContext): ControllerSpec {
  rejectTemplates(allVars, ctx);
  return withoutUndefined({
    netns: at(allVars, 'twoway_controller_netns', (v) => readSimpleName(v, ctx, 'a network namespace name')),
    callbackAddresses: at(allVars, 'twoway_callback_addresses', (v) => listOf(v, ctx, readIpAddress)),
  });
}

/** Run-wide settings belong to "all"; unknown twoway_* names are typos. Both checked wherever vars are set. */
function rejectMisplacedVars(inv: AnsibleInventory): void {
  const known: readonly string[] = [...NODE_VARS, ...RUN_VARS];
  const check = (vars: Map<string, AnsibleVar>, owner: string): void => {
    for (const [key, v] of vars) {
      if (key.startsWith('twoway_') && !known.includes(key)) {
        inv.fail(v.value.line, v.field, `unknown twoway variable "${key}"; twoway reads ${known.join(', ')}`);
      }
      if ((RUN_VARS as readonly string[]).includes(key) && owner !== ALL) {
        inv.fail(v.value.line, v.field, `"${key}" is a run-wide setting; set it in the vars of group "all" ([all:vars]), not for ${owner}`);
      }
    }
  };
  for (const group of inv.groups.values()) check(group.vars, group.name === ALL ? ALL : `group "${group.name}"`);
  for (const host of inv.hosts.values()) check(host.vars, `host "${host.name}"`);
}

const UNDERSTOOD: readonly string[] = [...Object.values(ALIASES).flat(), ...NODE_VARS, ...RUN_VARS];

/** twoway does not evaluate Jinja2: a template in a variable it reads must be an error, not a literal. */
function rejectTemplates(vars: Map<string, AnsibleVar>, ctx: StructuredContext): void {
  for (const [key, v] of vars) {
    const { value } = v;
    if (UNDERSTOOD.includes(key) && value.kind === 'scalar' && typeof value.value === 'string' && /\{\{|\{%/.test(value.value)) {
      fail(ctx, value.line, v.field, `${key} is a Jinja2 template (${JSON.stringify(value.value)}); twoway does not evaluate templates, give the value itself`);
    }
  }
}

// ---- Values. Each reader gets the variable's own line and field.

function at<T>(vars: Map<string, AnsibleVar>, key: string, read: (v: FieldValue) => T): T | undefined {
  const v = vars.get(key);
  return v === undefined ? undefined : read(v);
}

function first<T>(vars: Vars, keys: readonly string[], read: (v: FieldValue) => T): T | undefined {
  const key = keys.find((k) => vars.has(k));
  return key === undefined ? undefined : at(vars, key, read);
}

/** `ansible_port` is text in INI and may be a number or text in YAML. */
function readPortText(v: FieldValue, ctx: StructuredContext): number {
  const { value } = v;
  const text = value.kind === 'scalar' && (typeof value.value === 'number' || typeof value.value === 'string') ? String(value.value).trim() : undefined;
  const port = text === undefined ? undefined : portFromText(text);
  if (port === undefined) fail(ctx, value.line, v.field, `expected an SSH port (a whole number 1..65535), found ${describeFound(value)}`);
  return port;
}

/** A YAML/JSON list, or one comma-separated string (all INI can say). */
function readAddresses(v: FieldValue, ctx: StructuredContext): string[] {
  return listOf(v, ctx, readAddress);
}

function listOf(v: FieldValue, ctx: StructuredContext, readOne: (v: FieldValue, ctx: StructuredContext) => string): string[] {
  const { value } = v;
  const items: Located[] =
    value.kind === 'list'
      ? value.items
      : value.kind === 'scalar' && typeof value.value === 'string'
        ? value.value.split(',').map((part) => ({ kind: 'scalar', value: part.trim(), line: value.line }))
        : [];
  if (items.length === 0) fail(ctx, value.line, v.field, `expected a list of addresses (or one comma-separated string), found ${describeFound(value)}`);
  const addresses = items.map((item, index) => readOne({ value: item, field: value.kind === 'list' ? `${v.field}[${index}]` : v.field }, ctx));
  return [...new Set(addresses)];
}
