/**
 * Validates a YAML/JSON inventory (as a Located tree) into an Inventory. Stops at the first problem
 * with the file, line and field path (e.g. `nodes[3].port`, 0-based like array indices) and a
 * message saying what was expected and what was found. Unknown fields are errors, so a typo such as
 * `adress` cannot silently drop a setting.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { AGENT_FLAVOURS, isAgentFlavour, type AgentFlavour } from '../agent-flavours.js';
import { InputError } from '../errors.js';
import { MANAGER_NAMES } from '../managers.js';
import { describeFound, type Located, type LocatedEntry, type LocatedList } from './located.js';
import type { ControllerSpec, Inventory, NodeSpec } from './types.js';
import { REDFISH_FIELDS, redfishSpecOf, type RedfishField, type RedfishSpec } from './redfish.js';
import {
  SIMPLE_NAME_RULE,
  addressProblem,
  isIpAddress,
  isValidPort,
  simpleNameProblem,
  sshAliasProblem,
  userProblem,
} from './validate.js';

export interface StructuredContext {
  file: string;
  /** The inventory file's directory: relative paths inside the inventory are relative to it. */
  baseDir: string;
  knownProfiles: readonly string[];
  defaultProfile: string;
}

const TOP_FIELDS = ['controller', 'ssh_config', 'defaults', 'nodes'] as const;
const CONTROLLER_FIELDS = ['netns', 'callback_addresses'] as const;
const DEFAULTS_FIELDS = ['user', 'port', 'key', 'profile', 'ftp', 'runtime', 'manager'] as const;
const NODE_FIELDS = ['name', 'address', 'addresses', 'user', 'port', 'key', 'profile', 'ssh', 'groups', 'ftp', 'runtime', 'manager', 'redfish'] as const;

/** What a node inherits from `defaults` when it does not say. */
interface Defaults {
  user?: string;
  port?: number;
  key?: string;
  profile?: string;
  ftp?: boolean;
  runtime?: AgentFlavour;
  manager?: string;
}

/** A field's value with its path, which is all a reader needs to report a precise error. */
export interface FieldValue {
  value: Located;
  field: string;
  /** The line of the key, for errors about the field itself rather than its value. */
  keyLine?: number;
}

export function inventoryFromLocated(root: Located | undefined, ctx: StructuredContext): Inventory {
  if (root === undefined) fail(ctx, 1, 'nodes', 'the inventory is empty; expected a mapping with a "nodes" list');
  const top = readFields(root, '', TOP_FIELDS, ctx, 'a mapping with a "nodes" list');
  const defaults = top.defaults === undefined ? {} : readDefaults(top.defaults, ctx);
  if (top.nodes === undefined) fail(ctx, root.line, 'nodes', 'missing required field "nodes" (the list of nodes to test)');
  return withoutUndefined({
    nodes: readNodes(top.nodes, defaults, ctx),
    controller: top.controller === undefined ? {} : readController(top.controller, ctx),
    sshConfig: top.ssh_config === undefined ? undefined : readPath(top.ssh_config, ctx, 'an ssh_config file path'),
  });
}

function readController(at: FieldValue, ctx: StructuredContext): ControllerSpec {
  const fields = readFields(at.value, at.field, CONTROLLER_FIELDS, ctx, 'a mapping');
  return withoutUndefined({
    netns: fields.netns === undefined ? undefined : readSimpleName(fields.netns, ctx, 'a network namespace name'),
    callbackAddresses: fields.callback_addresses === undefined ? undefined : readCallbackAddresses(fields.callback_addresses, ctx),
  });
}

function readDefaults(at: FieldValue, ctx: StructuredContext): Defaults {
  const fields = readFields(at.value, at.field, DEFAULTS_FIELDS, ctx, 'a mapping');
  return withoutUndefined({
    user: fields.user === undefined ? undefined : readUser(fields.user, ctx),
    port: fields.port === undefined ? undefined : readPort(fields.port, ctx),
    key: fields.key === undefined ? undefined : readPath(fields.key, ctx, 'an SSH private key file path'),
    profile: fields.profile === undefined ? undefined : readProfile(fields.profile, ctx),
    ftp: fields.ftp === undefined ? undefined : readBoolean(fields.ftp, ctx, 'true or false (also test FTP control and passive data callbacks)'),
    runtime: fields.runtime === undefined ? undefined : readRuntime(fields.runtime, ctx),
    manager: fields.manager === undefined ? undefined : readManager(fields.manager, ctx),
  });
}

function readNodes(at: FieldValue, defaults: Defaults, ctx: StructuredContext): NodeSpec[] {
  const list = expectList(at, ctx, 'a list of nodes');
  if (list.items.length === 0) fail(ctx, list.line, at.field, 'expected at least one node, found an empty list');
  const earlierByName = new Map<string, { field: string; line: number }>();
  return list.items.map((item, index) => {
    const { node, name } = readNode({ value: item, field: `${at.field}[${index}]` }, defaults, ctx);
    const earlier = earlierByName.get(node.name);
    if (earlier !== undefined) {
      fail(ctx, name.value.line, name.field, `duplicate node name "${node.name}" (already used by ${earlier.field}, line ${earlier.line})`);
    }
    earlierByName.set(node.name, { field: name.field, line: name.value.line });
    return node;
  });
}

/** The node, and where its name was given (for duplicate-name errors). */
function readNode(at: FieldValue, defaults: Defaults, ctx: StructuredContext): { node: NodeSpec; name: FieldValue } {
  const fields = readFields(at.value, at.field, NODE_FIELDS, ctx, 'a node (a mapping with name and address)');
  const line = at.value.line;
  if (fields.name === undefined) fail(ctx, line, `${at.field}.name`, 'missing required field "name"');
  const node: NodeSpec = withoutUndefined({
    name: readSimpleName(fields.name, ctx, 'a node name'),
    addresses: readNodeAddresses(fields, at, ctx),
    user: fields.user === undefined ? defaults.user : readUser(fields.user, ctx),
    port: fields.port === undefined ? defaults.port : readPort(fields.port, ctx),
    key: fields.key === undefined ? defaults.key : readPath(fields.key, ctx, 'an SSH private key file path'),
    profile: fields.profile === undefined ? (defaults.profile ?? ctx.defaultProfile) : readProfile(fields.profile, ctx),
    sshHost: fields.ssh === undefined ? undefined : readSshAlias(fields.ssh, ctx),
    groups: fields.groups === undefined ? undefined : readGroups(fields.groups, ctx),
    ftp: fields.ftp === undefined ? defaults.ftp : readBoolean(fields.ftp, ctx, 'true or false (also test FTP control and passive data callbacks)'),
    runtime: fields.runtime === undefined ? defaults.runtime : readRuntime(fields.runtime, ctx),
    manager: fields.manager === undefined ? defaults.manager : readManager(fields.manager, ctx),
    redfish: fields.redfish === undefined ? undefined : readRedfish(fields.redfish, ctx),
    from: { file: ctx.file, line },
  });
  return { node, name: fields.name };
}

/** `address: x` or `addresses: [x, y]` (dual-homed nodes), exactly one of them. */
function readNodeAddresses(fields: Partial<Record<(typeof NODE_FIELDS)[number], FieldValue>>, node: FieldValue, ctx: StructuredContext): string[] {
  const { address, addresses } = fields;
  if (address !== undefined && addresses !== undefined) {
    const later = keyLineOf(address) > keyLineOf(addresses) ? address : addresses;
    fail(ctx, keyLineOf(later), later.field, 'give either "address" (one) or "addresses" (a list), not both');
  }
  if (address !== undefined) return [readAddress(address, ctx)];
  if (addresses !== undefined) return readAddressList(addresses, ctx, readAddress, 'a list of addresses');
  return fail(ctx, node.value.line, `${node.field}.address`, 'missing required field "address" (or "addresses", a list)');
}

/** Group names for --limit; a node may name none. */
function readGroups(at: FieldValue, ctx: StructuredContext): string[] | undefined {
  const list = expectList(at, ctx, 'a list of group names');
  const names = list.items.map((item, index) => readSimpleName({ value: item, field: `${at.field}[${index}]` }, ctx, 'a group name'));
  return names.length === 0 ? undefined : [...new Set(names)];
}

function keyLineOf(at: FieldValue): number {
  return at.keyLine ?? at.value.line;
}

function readCallbackAddresses(at: FieldValue, ctx: StructuredContext): string[] {
  return readAddressList(at, ctx, readIpAddress, 'a list of IP addresses');
}

function readAddressList(at: FieldValue, ctx: StructuredContext, readOne: (at: FieldValue, ctx: StructuredContext) => string, what: string): string[] {
  const list = expectList(at, ctx, what);
  if (list.items.length === 0) fail(ctx, list.line, at.field, `expected ${what} with at least one address, found an empty list`);
  const seen = new Map<string, number>();
  return list.items.map((item, index) => {
    const field = `${at.field}[${index}]`;
    const address = readOne({ value: item, field }, ctx);
    const earlier = seen.get(address.toLowerCase());
    if (earlier !== undefined) fail(ctx, item.line, field, `duplicate address "${address}" (same as ${at.field}[${earlier}])`);
    seen.set(address.toLowerCase(), index);
    return address;
  });
}

// ---- Readers for single values. Each checks type and content and reports what it expected.

export function readString(at: FieldValue, ctx: StructuredContext, what: string): string {
  const { value } = at;
  if (value.kind !== 'scalar' || typeof value.value !== 'string') {
    // A YAML number where a string belongs (name: 1234) is almost always meant as text; say how.
    const hint = value.kind === 'scalar' && typeof value.value === 'number' ? '; put it in quotes to make it a string' : '';
    return fail(ctx, value.line, at.field, `expected ${what}, found ${describeFound(value)}${hint}`);
  }
  if (value.value.trim() === '') fail(ctx, value.line, at.field, `expected ${what}, found an empty string`);
  return value.value;
}

function readChecked(at: FieldValue, ctx: StructuredContext, what: string, problemOf: (text: string) => string | undefined): string {
  const text = readString(at, ctx, what);
  const problem = problemOf(text);
  if (problem !== undefined) fail(ctx, at.value.line, at.field, `expected ${what}, found ${JSON.stringify(text)} (${problem})`);
  return text;
}

export function readSimpleName(at: FieldValue, ctx: StructuredContext, what: string): string {
  return readChecked(at, ctx, `${what} (${SIMPLE_NAME_RULE})`, simpleNameProblem);
}

export function readAddress(at: FieldValue, ctx: StructuredContext): string {
  return readChecked(at, ctx, 'an IPv4/IPv6 address or host name', (text) => {
    const problem = addressProblem(text);
    // The one mistake worth a hint: "host:port" in an address field.
    return problem !== undefined && /^[^:]+:[0-9]+$/.test(text) ? `${problem}; give the SSH port in "port"` : problem;
  });
}

export function readIpAddress(at: FieldValue, ctx: StructuredContext): string {
  return readChecked(at, ctx, 'an IPv4/IPv6 address', (text) => (isIpAddress(text) ? undefined : 'not an IP address'));
}

export function readUser(at: FieldValue, ctx: StructuredContext): string {
  return readChecked(at, ctx, 'a user name', userProblem);
}

/** A node's `redfish:` mapping (src/inventory/redfish.ts); paths in it are relative to the inventory. */
function readRedfish(at: FieldValue, ctx: StructuredContext): RedfishSpec {
  const fields = readFields(at.value, at.field, REDFISH_FIELDS, ctx, 'a mapping of Redfish settings');
  const values: Partial<Record<RedfishField, string | number>> = {};
  for (const key of REDFISH_FIELDS) {
    const f = fields[key];
    if (f === undefined) continue;
    const v = f.value;
    if (v.kind !== 'scalar' || (typeof v.value !== 'string' && typeof v.value !== 'number')) fail(ctx, v.line, f.field, `expected a value, found ${describeFound(v)}`);
    values[key] = key.endsWith('_file') ? readPath(f, ctx, 'a file path') : (v.value as string | number);
  }
  return redfishSpecOf(values, (key, message) => fail(ctx, fields[key]?.value.line ?? at.value.line, `${at.field}.${key}`, message));
}

function readSshAlias(at: FieldValue, ctx: StructuredContext): string {
  return readChecked(at, ctx, 'an ssh_config Host alias', sshAliasProblem);
}

export function readProfile(at: FieldValue, ctx: StructuredContext): string {
  const expected = `one of ${ctx.knownProfiles.join(', ')}`;
  return readChecked(at, ctx, `a profile name (${expected})`, (text) => (ctx.knownProfiles.includes(text) ? undefined : 'unknown profile'));
}

/** An update manager's name (src/managers.ts): the model that judges this node instead of --manager. */
export function readManager(at: FieldValue, ctx: StructuredContext): string {
  return readChecked(at, ctx, `an update manager (one of ${MANAGER_NAMES.join(', ')})`, (text) => (MANAGER_NAMES.includes(text) ? undefined : 'unknown update manager'));
}

function readBoolean(at: FieldValue, ctx: StructuredContext, what: string): boolean {
  const { value } = at;
  if (value.kind === 'scalar' && typeof value.value === 'boolean') return value.value;
  const hint = value.kind === 'scalar' && typeof value.value === 'string' && /^(true|false|yes|no|on|off)$/i.test(value.value) ? '; write true or false without quotes' : '';
  return fail(ctx, value.line, at.field, `expected ${what}, found ${describeFound(value)}${hint}`);
}

function readRuntime(at: FieldValue, ctx: StructuredContext): AgentFlavour {
  const text = readChecked(at, ctx, `an agent runtime (one of ${AGENT_FLAVOURS.join(', ')})`, (t) => (isAgentFlavour(t) ? undefined : 'unknown runtime'));
  return text as AgentFlavour;
}

function readPort(at: FieldValue, ctx: StructuredContext): number {
  const { value } = at;
  if (value.kind !== 'scalar' || typeof value.value !== 'number' || !isValidPort(value.value)) {
    // YAML and JSON both make "22" a string; say how to write the number rather than just refusing.
    const hint = value.kind === 'scalar' && typeof value.value === 'string' && /^[0-9]+$/.test(value.value) ? '; write the number without quotes' : '';
    return fail(ctx, value.line, at.field, `expected an SSH port (a whole number 1..65535), found ${describeFound(value)}${hint}`);
  }
  return value.value;
}

/** `~` and `~/...` are the user's home; other relative paths are relative to the inventory file. */
export function readPath(at: FieldValue, ctx: StructuredContext, what: string): string {
  const text = readChecked(at, ctx, what, (path) =>
    /^~[^/]/.test(path) ? 'the ~user/ form is not supported; write the full path' : undefined,
  );
  if (text === '~') return homedir();
  if (text.startsWith('~/')) return join(homedir(), text.slice(2));
  return isAbsolute(text) ? text : resolve(ctx.baseDir, text);
}

// ---- Structure.

function expectList(at: FieldValue, ctx: StructuredContext, what: string): LocatedList {
  if (at.value.kind !== 'list') return fail(ctx, at.value.line, at.field, `expected ${what}, found ${describeFound(at.value)}`);
  return at.value;
}

/** The fields of a mapping, each with its path; any key not in `allowed` is an error at its line. */
function readFields<K extends string>(
  value: Located,
  path: string,
  allowed: readonly K[],
  ctx: StructuredContext,
  what: string,
): Partial<Record<K, FieldValue>> {
  if (value.kind !== 'map') fail(ctx, value.line, path || undefined, `expected ${what}, found ${describeFound(value)}`);
  const fields: Partial<Record<K, FieldValue>> = {};
  for (const entry of value.entries) {
    const field = path === '' ? entry.key : `${path}.${entry.key}`;
    if (!isOneOf(entry.key, allowed)) fail(ctx, entry.keyLine, field, unknownFieldMessage(entry, allowed));
    fields[entry.key] = { value: entry.value, field, keyLine: entry.keyLine };
  }
  return fields;
}

function isOneOf<K extends string>(key: string, allowed: readonly K[]): key is K {
  return (allowed as readonly string[]).includes(key);
}

function unknownFieldMessage(entry: LocatedEntry, allowed: readonly string[]): string {
  const closest = allowed.find((name) => editDistance(name, entry.key.toLowerCase()) <= 2);
  const suggestion = closest === undefined ? '' : ` (did you mean "${closest}"?)`;
  return `unknown field "${entry.key}"; expected one of ${allowed.join(', ')}${suggestion}`;
}

/** Levenshtein distance, for "did you mean" on short field names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

export function fail(ctx: StructuredContext, line: number, field: string | undefined, message: string): never {
  throw new InputError(message, { file: ctx.file, line, ...(field === undefined ? {} : { field }) });
}

/** Results are compared and printed as plain data, so absent settings are absent, not undefined. */
export function withoutUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}
