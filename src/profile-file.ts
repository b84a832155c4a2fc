/**
 * Custom profiles from a YAML/JSON file: new profiles that extend a built-in one (or an earlier one
 * in the file), or changes to a built-in one under its own name. Errors name file, line and field.
 *
 *   profiles:
 *     ilo-8443:
 *       extends: ilo
 *       add: [{ port: 8443, probe: https, purpose: "iLO on a custom port", needs: service }]
 *       remove: [80]
 *     linux:                # changes the built-in linux profile for this run
 *       remove: [443]
 *     esxi-lab:
 *       extends: linux
 *       esxi_firewall: true   # behaviour hints (src/profiles.ts ProfileHints); inherited otherwise
 *       default_runtime: python
 *
 * An added port's `needs` (service or path: src/profiles.ts FORWARD_NEEDS) defaults to service for
 * http/https probes and to path for tcp and netbios-ns (defaultNeeds).
 */
import { InputError } from './errors.js';
import { describeFound, type Located, type LocatedEntry } from './inventory/located.js';
import { parseYamlLocated } from './inventory/yaml-located.js';
import { isValidPort } from './inventory/validate.js';
import { AGENT_FLAVOURS, type AgentFlavour } from './agent-flavours.js';
import { readTextFile } from './text-file.js';
import {
  BUILT_IN_PROFILES,
  CALLBACK_KINDS,
  FORWARD_NEEDS,
  FORWARD_PROBES,
  defaultNeeds,
  type CallbackKind,
  type ForwardNeeds,
  type ForwardPort,
  type ForwardProbe,
  type Profile,
  type ProfileSet,
} from './profiles.js';

const PROFILE_FIELDS = ['extends', 'description', 'agent', 'callbacks', 'add', 'remove', 'min_addresses', 'esxi_firewall', 'default_runtime'] as const;
const PORT_FIELDS = ['port', 'probe', 'purpose', 'needs'] as const;
const NAME = /^[A-Za-z0-9_.-]{1,32}$/;

interface At {
  value: Located;
  field: string;
}

/** A profile file holds a few profiles of a few ports each; anything near this size is the wrong file. */
export const MAX_PROFILE_FILE_BYTES = 1024 * 1024;

export function loadProfileFile(file: string): ProfileSet {
  return parseProfiles(readTextFile(file, { what: 'the profile file', maxBytes: MAX_PROFILE_FILE_BYTES, field: '--profiles' }), file);
}

/** The built-in profiles with the file's additions and changes applied, in file order. */
export function parseProfiles(text: string, file: string, base: ProfileSet = BUILT_IN_PROFILES): ProfileSet {
  const fail = (line: number, field: string, message: string): never => {
    throw new InputError(message, { file, line, field });
  };
  const root = parseYamlLocated(text, file);
  if (root === undefined || root.kind !== 'map') return fail(root?.line ?? 1, 'profiles', 'expected a mapping with a "profiles" mapping');
  const top = fields(root, '', ['profiles'], fail);
  const list = top.profiles;
  if (list === undefined) return fail(root.line, 'profiles', 'missing required field "profiles"');
  if (list.value.kind !== 'map') return fail(list.value.line, 'profiles', `expected a mapping of profile names, found ${describeFound(list.value)}`);

  // A map, not an object: "extends: constructor" must not find Object.prototype's, nor a profile named __proto__ replace the prototype.
  const profiles = new Map<string, Profile>(Object.entries(base));
  for (const entry of list.value.entries) {
    const field = `profiles.${entry.key}`;
    if (!NAME.test(entry.key)) fail(entry.keyLine, field, 'a profile name is 1..32 letters, digits, "_", "." or "-"');
    profiles.set(entry.key, readProfile(entry, field, profiles, `${file}:${entry.keyLine}`, fail));
  }
  return Object.fromEntries(profiles);
}

type Fail = (line: number, field: string, message: string) => never;

function readProfile(entry: LocatedEntry, field: string, known: ReadonlyMap<string, Profile>, origin: string, fail: Fail): Profile {
  const f = fields(entry.value, field, PROFILE_FIELDS, fail);
  const parentName = f.extends === undefined ? entry.key : string(f.extends, fail);
  const parent = known.get(parentName);
  if (parent === undefined) {
    return fail(f.extends?.value.line ?? entry.keyLine, `${field}.extends`, `${f.extends === undefined ? `"${entry.key}" is not a built-in profile, so it needs` : 'expected'} "extends: <profile>", one of ${[...known.keys()].join(', ')}`);
  }
  const removed = f.remove === undefined ? [] : list(f.remove, fail).map((item) => port(item, fail));
  for (const [i, p] of removed.entries()) {
    if (!parent.forward.some((fp) => fp.port === p)) fail(list(f.remove!, fail)[i]!.value.line, `${field}.remove[${i}]`, `port ${p} is not among ${parentName}'s forward ports (${parent.forward.map((fp) => fp.port).join(', ')})`);
  }
  const added = f.add === undefined ? [] : list(f.add, fail).map((item) => forwardPort(item, fail));
  const forward = [...parent.forward.filter((fp) => !removed.includes(fp.port)), ...added];
  const seen = new Set<string>();
  for (const fp of forward) {
    const key = `${fp.probe === 'netbios-ns' ? 'udp' : 'tcp'}/${fp.port}`;
    if (seen.has(key)) fail(f.add!.value.line, `${field}.add`, `port ${fp.port} is already in the profile; remove it first to change how it is probed`);
    seen.add(key);
  }
  return {
    name: entry.key,
    description: f.description === undefined ? `${parent.description} (customised)` : string(f.description, fail),
    forward,
    agent: f.agent === undefined ? parent.agent : boolean(f.agent, fail),
    callbacks: f.callbacks === undefined ? parent.callbacks : list(f.callbacks, fail).map((item) => oneOf(item, CALLBACK_KINDS, fail) as CallbackKind),
    minAddresses: f.min_addresses === undefined ? parent.minAddresses : count(f.min_addresses, fail),
    hints: {
      esxiFirewall: f.esxi_firewall === undefined ? parent.hints.esxiFirewall : boolean(f.esxi_firewall, fail),
      ...defaultRuntime(f.default_runtime, parent, fail),
    },
    origin,
    family: parent.family,
  };
}

/** The parent's default runtime unless the entry names one (a flavour name). */
function defaultRuntime(at: At | undefined, parent: Profile, fail: Fail): { defaultRuntime?: AgentFlavour } {
  if (at === undefined) return parent.hints.defaultRuntime === undefined ? {} : { defaultRuntime: parent.hints.defaultRuntime };
  return { defaultRuntime: oneOf(at, AGENT_FLAVOURS, fail) as AgentFlavour };
}

function forwardPort(at: At, fail: Fail): ForwardPort {
  const f = fields(at.value, at.field, PORT_FIELDS, fail);
  if (f.port === undefined) return fail(at.value.line, `${at.field}.port`, 'missing required field "port"');
  const probe = f.probe === undefined ? 'tcp' : (oneOf(f.probe, FORWARD_PROBES, fail) as ForwardProbe);
  return {
    port: port(f.port, fail),
    probe,
    purpose: f.purpose === undefined ? 'custom port' : string(f.purpose, fail),
    needs: f.needs === undefined ? defaultNeeds(probe) : (oneOf(f.needs, FORWARD_NEEDS, fail) as ForwardNeeds),
  };
}

// ---- Readers: each checks one value and says what it expected.

function fields<K extends string>(value: Located, path: string, allowed: readonly K[], fail: Fail): Partial<Record<K, At>> {
  if (value.kind !== 'map') return fail(value.line, path, `expected a mapping, found ${describeFound(value)}`);
  const out: Partial<Record<K, At>> = {};
  for (const entry of value.entries) {
    const field = path === '' ? entry.key : `${path}.${entry.key}`;
    if (!(allowed as readonly string[]).includes(entry.key)) fail(entry.keyLine, field, `unknown field "${entry.key}"; expected one of ${allowed.join(', ')}`);
    out[entry.key as K] = { value: entry.value, field };
  }
  return out;
}

function list(at: At, fail: Fail): At[] {
  if (at.value.kind !== 'list') return fail(at.value.line, at.field, `expected a list, found ${describeFound(at.value)}`);
  return at.value.items.map((value, i) => ({ value, field: `${at.field}[${i}]` }));
}

function string(at: At, fail: Fail): string {
  if (at.value.kind !== 'scalar' || typeof at.value.value !== 'string' || at.value.value.trim() === '') return fail(at.value.line, at.field, `expected a non-empty string, found ${describeFound(at.value)}`);
  return at.value.value;
}

function boolean(at: At, fail: Fail): boolean {
  if (at.value.kind !== 'scalar' || typeof at.value.value !== 'boolean') return fail(at.value.line, at.field, `expected true or false, found ${describeFound(at.value)}`);
  return at.value.value;
}

function port(at: At, fail: Fail): number {
  if (at.value.kind !== 'scalar' || typeof at.value.value !== 'number' || !isValidPort(at.value.value)) return fail(at.value.line, at.field, `expected a port (a whole number 1..65535), found ${describeFound(at.value)}`);
  return at.value.value;
}

function count(at: At, fail: Fail): number {
  const v = at.value;
  if (v.kind !== 'scalar' || typeof v.value !== 'number' || !Number.isInteger(v.value) || v.value < 1 || v.value > 8) return fail(v.line, at.field, `expected a whole number 1..8, found ${describeFound(v)}`);
  return v.value;
}

function oneOf(at: At, allowed: readonly string[], fail: Fail): string {
  const v = at.value;
  if (v.kind !== 'scalar' || typeof v.value !== 'string' || !allowed.includes(v.value)) return fail(v.line, at.field, `expected one of ${allowed.join(', ')}, found ${describeFound(v)}`);
  return v.value;
}
