/**
 * Properties of the inventory readers, for every format (twoway YAML/JSON, Ansible INI/YAML,
 * ansible-inventory --list JSON, host lists, --node): any text gives an inventory or an InputError
 * naming the file and an existing line, never another exception; inventories written from valid
 * nodes read back as those nodes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { AGENT_FLAVOURS } from '../../../src/agent-flavours.js';
import { InputError } from '../../../src/errors.js';
import { formatHostPort } from '../../../src/inventory/hostspec.js';
import { inventoryFromHostSpecs, parseInventoryText } from '../../../src/inventory/parse.js';
import type { Inventory, NodeSpec } from '../../../src/inventory/types.js';
import { check, parsesOrNamesThePlace } from '../../helpers/property.js';

const OPTS = { knownProfiles: ['linux', 'windows'], defaultProfile: 'linux' } as const;
/** One name per way the format is chosen: by extension, or by content ("hosts"). */
const FILES = ['/inv/x.yaml', '/inv/x.json', '/inv/x.ini', '/inv/hosts'] as const;

const parse = (text: string, file: string) => parsesOrNamesThePlace(() => parseInventoryText(text, file, OPTS), file, text);

/** Pieces inventories are made of, so random text reaches past the first line of each reader. */
const TOKENS = [
  'nodes:', 'defaults:', 'controller:', 'ssh_config:', '  - name: a', '    address: 10.0.0.1', '    addresses: [h, ::1]', '    port: 22', '    groups: [web]',
  '    ssh: alias', '    runtime: python', '    ftp: true', '  netns: ns', '  callback_addresses: [10.0.0.9]', 'all:', '  hosts:', '  children:', '  vars:',
  '    web[01:03]:', '      ansible_port: 2222', '_meta:', '  hostvars:', '[web]', '[web:children]', '[web:vars]', '[all:vars]', 'db', 'web[1:3:2] ansible_host=10.0.0.5',
  'h ansible_port=x', 'twoway_profile=windows', 'twoway_addresses=a,b', 'twoway_controller_netns=n', 'ansible_group_priority=2', 'root@h:22', '[fd00::1]:22', 'fd00::1',
  '{', '}', '[', ']', ',', ':', '"', "'", '#', ';', '&a', '*a', '<<: *a', '- ', '  ', '\t', '{{ x }}', 'null', '~', '0x1F', '1e9', '-', '!!str', '%YAML 1.2', '---', '...',
  '{"nodes": [{"name": "a", "address": "h"}]}', '{"all": {"hosts": ["h"]}, "_meta": {"hostvars": {"h": {"ansible_port": 22}}}}', '\u00e9', '\ud800', '\u2028', '\r',
];
const tokenText = fc.array(fc.array(fc.constantFrom(...TOKENS), { maxLength: 6 }).map((words) => words.join(' ')), { maxLength: 12 }).map((lines) => lines.join('\n'));
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme-ascii', maxLength: 200 }), tokenText);

/** Any JSON value as a document, written as JSON and as YAML. */
const jsonDoc = fc.jsonValue({ maxDepth: 5 });

/** A value for any field: right or wrong type, empty, nested. */
const fieldValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('10.0.0.1', '::1', 'web.example', 'web_1', '10.0.0.256', '-x', '~/k', '~bob/k', 'linux', 'python', 'perl', '{{ h }}', ''),
  fc.integer({ min: -2, max: 70_000 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom('10.0.0.1', 'h', 'web', '', 7), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', 'name', 'port'), fc.constantFrom('x', 1, null), { maxKeys: 2 }),
);
const NODE_KEYS = ['name', 'address', 'addresses', 'user', 'port', 'key', 'profile', 'ssh', 'groups', 'ftp', 'runtime', 'adress'];
const twowayShaped = fc.record(
  {
    nodes: fc.oneof(fc.array(fc.dictionary(fc.constantFrom(...NODE_KEYS), fieldValue, { maxKeys: 6 }), { maxLength: 4 }), fieldValue),
    defaults: fc.dictionary(fc.constantFrom('user', 'port', 'key', 'profile', 'ftp', 'runtime', 'name'), fieldValue, { maxKeys: 3 }),
    controller: fc.dictionary(fc.constantFrom('netns', 'callback_addresses', 'x'), fieldValue, { maxKeys: 2 }),
    ssh_config: fieldValue,
  },
  { requiredKeys: [] },
);
const VAR_KEYS = ['ansible_host', 'ansible_port', 'ansible_user', 'ansible_ssh_private_key_file', 'twoway_profile', 'twoway_addresses', 'twoway_controller_netns', 'twoway_x', 'ansible_group_priority', 'other'];
const ansibleGroup = fc.letrec<{ group: unknown }>((tie) => ({
  group: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.array(fc.constantFrom('h1', 'web[1:2]', 'h:22', ''), { maxLength: 3 }),
    fc.record(
      {
        hosts: fc.oneof(fc.dictionary(fc.constantFrom('h1', 'h2', 'web[01:02]', '[fd00::1]:22', 'a b'), fc.oneof(fc.constant(null), fc.dictionary(fc.constantFrom(...VAR_KEYS), fieldValue, { maxKeys: 3 })), { maxKeys: 3 }), fieldValue),
        children: fc.oneof(fc.dictionary(fc.constantFrom('web', 'db', 'all', 'g'), tie('group'), { maxKeys: 2 }), fc.array(fc.constantFrom('web', 'db'), { maxLength: 2 })),
        vars: fc.oneof(fc.dictionary(fc.constantFrom(...VAR_KEYS), fieldValue, { maxKeys: 3 }), fieldValue),
      },
      { requiredKeys: [] },
    ),
  ),
})).group;
const ansibleShaped = fc.record(
  { all: ansibleGroup, web: ansibleGroup, _meta: fc.oneof(fc.record({ hostvars: fc.dictionary(fc.constantFrom('h1', 'h3'), fieldValue, { maxKeys: 2 }) }), fieldValue) },
  { requiredKeys: [] },
);

/** The document as text in the format of `file` (host lists and content-sniffed files get YAML). */
function written(doc: unknown, file: string): string {
  return file.endsWith('.json') ? JSON.stringify(doc, null, 2) : toYaml(doc);
}

describe('inventory properties: any input is an inventory or an InputError at an existing line', () => {
  for (const file of FILES) {
    it(`random and token text as ${file}`, () => check(fc.property(anyText, (text) => void parse(text, file))));
  }
  it('any JSON value, written as JSON and as YAML', () => {
    check(fc.property(jsonDoc, fc.constantFrom(...FILES), (doc, file) => void parse(written(doc, file), file)));
  });
  it('twoway-shaped documents with right and wrong values', () => {
    check(fc.property(twowayShaped, fc.constantFrom('/inv/x.yaml', '/inv/x.json'), (doc, file) => void parse(written(doc, file), file)));
  });
  it('Ansible-shaped trees (YAML inventory, ansible-inventory --list JSON)', () => {
    check(fc.property(ansibleShaped, fc.constantFrom('/inv/x.yaml', '/inv/x.json'), (doc, file) => void parse(written(doc, file), file)));
  });
  it('--node flags', () => {
    check(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('root@10.0.0.1:22', '[::1]:2', 'a@b@c', 'h:0', '')), { maxLength: 4 }), (specs) => {
        try {
          inventoryFromHostSpecs(specs, OPTS);
        } catch (err) {
          assert.ok(err instanceof InputError && err.file === '--node' && err.field === '--node', String(err));
        }
      }),
    );
  });
});

// ---- Round trips: valid nodes written by a writer read back as the same nodes.

const simpleName = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/).filter((n) => n !== '.' && n !== '..');
const hostName = fc.domain().filter((d) => d.length <= 253 && !/\.[0-9]+$/.test(d));
const address = fc.oneof(fc.ipV4(), fc.ipV6(), hostName);
const user = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}$/);
const port = fc.integer({ min: 1, max: 65535 });

interface WrittenNode {
  name: string;
  addresses: string[];
  user?: string;
  port?: number;
  profile: 'linux' | 'windows';
  groups?: string[];
  ftp?: boolean;
  runtime?: (typeof AGENT_FLAVOURS)[number];
}

const writtenNode: fc.Arbitrary<WrittenNode> = fc.record(
  {
    name: simpleName,
    addresses: fc.uniqueArray(address, { minLength: 1, maxLength: 3, selector: (a) => a.toLowerCase() }),
    user,
    port,
    profile: fc.constantFrom('linux', 'windows'),
    groups: fc.uniqueArray(simpleName, { minLength: 1, maxLength: 3 }),
    ftp: fc.boolean(),
    runtime: fc.constantFrom(...AGENT_FLAVOURS),
  },
  { requiredKeys: ['name', 'addresses', 'profile'] },
);
const writtenNodes = fc.uniqueArray(writtenNode, { minLength: 1, maxLength: 8, selector: (n) => n.name });

/** What the reader makes of a node (everything but where it was written). */
function withoutSource(nodes: readonly NodeSpec[]): Omit<NodeSpec, 'from'>[] {
  return nodes.map(({ from: _from, ...rest }) => rest);
}

function readBack(text: string, file: string): Inventory {
  const read = parse(text, file);
  if (read instanceof InputError) return assert.fail(`${read.message}\n${text}`);
  for (const node of read.nodes) assert.ok(node.from.file === file && node.from.line >= 1);
  return read;
}

describe('inventory properties: round trips', () => {
  it('twoway YAML and JSON: the nodes written are the nodes read', () => {
    check(
      fc.property(writtenNodes, fc.constantFrom('/inv/x.yaml', '/inv/x.json'), fc.boolean(), (nodes, file, oneAddressField) => {
        const doc = {
          nodes: nodes.map(({ addresses, ...rest }) => (oneAddressField && addresses.length === 1 ? { ...rest, address: addresses[0] } : { ...rest, addresses })),
        };
        // fc.record sometimes makes objects without a prototype; the reader's are plain.
        assert.deepStrictEqual(withoutSource(readBack(written(doc, file), file).nodes), nodes.map((n) => ({ ...n })));
      }),
    );
  });

  it('Ansible INI: host lines with their vars read back, with the group', () => {
    const host = fc.record({ name: simpleName.filter((n) => !n.includes('[') && !n.startsWith('-')), address: fc.oneof(fc.ipV4(), hostName), user, port });
    check(
      fc.property(fc.uniqueArray(host, { minLength: 1, maxLength: 8, selector: (h) => h.name }), simpleName.filter((g) => g !== 'all' && g !== 'ungrouped'), (hosts, group) => {
        const text = [`[${group}]`, ...hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_user=${h.user} ansible_port=${h.port}`)].join('\n');
        const expected = hosts.map((h) => ({ name: h.name, addresses: [h.address], user: h.user, port: h.port, profile: 'linux', groups: [group] }));
        assert.deepStrictEqual(withoutSource(readBack(text, '/inv/x.ini').nodes), expected);
      }),
    );
  });

  it('host lists: [user@]host[:port] lines, IPv6 with a port in brackets, read back', () => {
    const spec = fc.record({ user, address, port }, { requiredKeys: ['address'] });
    check(
      fc.property(fc.uniqueArray(spec, { minLength: 1, maxLength: 8, selector: (s) => s.address.toLowerCase() }), (specs) => {
        const text = specs.map((s) => `${s.user === undefined ? '' : `${s.user}@`}${formatHostPort(s.address, s.port)}  # node`).join('\n');
        const expected = specs.map((s) => ({ name: s.address, addresses: [s.address], ...(s.user === undefined ? {} : { user: s.user }), ...(s.port === undefined ? {} : { port: s.port }), profile: 'linux' }));
        assert.deepStrictEqual(withoutSource(readBack(text, '/inv/hosts.txt').nodes), expected);
      }),
    );
  });
});
