import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../../src/errors.js';
import { detectFormat, inventoryFromHostSpecs, loadInventory, parseHostSpec, parseInventoryText } from '../../../src/inventory/parse.js';
import type { Inventory } from '../../../src/inventory/types.js';

// Compiled to dist/test/; the fixtures stay in the source tree.
const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/inventory/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);
const OPTS = { knownProfiles: ['linux', 'windows'], defaultProfile: 'linux' } as const;

interface GoodCase {
  file: string;
  expected: (file: string) => Inventory;
}

const GOOD: GoodCase[] = [
  {
    file: 'good-defaults.yaml',
    expected: (file) => ({
      controller: { netns: 'twl-ctl', callbackAddresses: ['10.0.0.1', 'fd00::1'] },
      sshConfig: fixture('ssh_config'),
      nodes: [
        { name: 'web1', addresses: ['10.0.0.5'], user: 'admin', port: 2222, key: fixture('keys/lab_ed25519'), profile: 'linux', from: { file, line: 13 } },
        {
          name: 'db.1',
          addresses: ['db1.lab.example'],
          user: 'root',
          port: 22,
          key: join(homedir(), '.ssh/id_ed25519'),
          profile: 'windows',
          sshHost: 'db1-alias',
          from: { file, line: 15 },
        },
      ],
    }),
  },
  {
    file: 'good-dual-homed.yml',
    expected: (file) => ({
      controller: {},
      nodes: [
        { name: 'gw', addresses: ['192.168.1.1', 'fd00::1', 'gw.mgmt.example'], profile: 'linux', from: { file, line: 2 } },
        { name: 'loop', addresses: ['::1'], profile: 'linux', from: { file, line: 7 } },
      ],
    }),
  },
  {
    file: 'good.json',
    expected: (file) => ({
      controller: { netns: 'twl-ctl' },
      nodes: [
        { name: 'a', addresses: ['10.1.0.1'], user: 'ops', profile: 'linux', from: { file, line: 5 } },
        { name: 'b', addresses: ['10.1.0.2', '10.2.0.2'], user: 'ops', port: 2200, profile: 'windows', from: { file, line: 6 } },
      ],
    }),
  },
  {
    file: 'hosts.txt',
    expected: (file) => ({
      controller: {},
      nodes: [
        { name: 'web1', addresses: ['web1'], profile: 'linux', from: { file, line: 2 } },
        { name: '10.0.0.5', addresses: ['10.0.0.5'], user: 'admin', port: 2222, profile: 'linux', from: { file, line: 3 } },
        { name: 'fd00::5', addresses: ['fd00::5'], port: 22, profile: 'linux', from: { file, line: 4 } },
        { name: 'fe80::1', addresses: ['fe80::1'], user: 'root', profile: 'linux', from: { file, line: 5 } },
        // The same host twice on different ports: named host:port so names stay unique.
        { name: 'web2:2201', addresses: ['web2'], port: 2201, profile: 'linux', from: { file, line: 7 } },
        { name: 'web2:2202', addresses: ['web2'], port: 2202, profile: 'linux', from: { file, line: 8 } },
        { name: '::1', addresses: ['::1'], profile: 'linux', from: { file, line: 9 } },
      ],
    }),
  },
  {
    file: 'lab-inventory',
    expected: (file) => ({ controller: {}, nodes: [{ name: 'x', addresses: ['10.0.0.9'], profile: 'linux', from: { file, line: 3 } }] }),
  },
  {
    file: 'lab-inventory-json',
    expected: (file) => ({ controller: {}, nodes: [{ name: 'y', addresses: ['10.0.0.10'], profile: 'linux', from: { file, line: 3 } }] }),
  },
];

interface BadCase {
  file: string;
  line: number | undefined;
  field: string | undefined;
  message: string;
}

const BAD: BadCase[] = [
  { file: 'bad-unknown-field.yaml', line: 5, field: 'nodes[1].adress', message: 'unknown field "adress"; expected one of name, address, addresses' },
  { file: 'bad-missing-name.yaml', line: 4, field: 'nodes[1].name', message: 'missing required field "name"' },
  { file: 'bad-duplicate-name.yaml', line: 5, field: 'nodes[1].name', message: 'duplicate node name "web1" (already used by nodes[0].name, line 2)' },
  { file: 'bad-both-addresses.yaml', line: 4, field: 'nodes[0].addresses', message: 'either "address" (one) or "addresses" (a list), not both' },
  { file: 'bad-port-zero.yaml', line: 4, field: 'nodes[0].port', message: 'expected an SSH port (a whole number 1..65535), found 0' },
  { file: 'bad-port-70000.json', line: 6, field: 'nodes[0].port', message: 'found 70000' },
  { file: 'bad-port-22x.yaml', line: 2, field: 'defaults.port', message: 'found "22x" (a string)' },
  { file: 'bad-profile.yaml', line: 6, field: 'nodes[1].profile', message: 'expected a profile name (one of linux, windows), found "solaris"' },
  { file: 'bad-address.yaml', line: 5, field: 'nodes[0].addresses[1]', message: 'found "10.0.0.256" (not a valid IPv4 address: four numbers 0..255' },
  { file: 'bad-yaml-syntax.yaml', line: 4, field: undefined, message: 'YAML syntax error' },
  { file: 'bad-json-syntax.json', line: 4, field: undefined, message: `JSON syntax error: expected ',' or ']' after a list item, found "{"` },
  { file: 'bad-json-unknown-field.json', line: 6, field: 'nodes[1].adress', message: 'unknown field "adress"' },
  { file: 'bad-json-duplicate-key.json', line: 6, field: 'nodes[0].address', message: 'duplicate field "address"' },
  { file: 'bad-empty-nodes.yaml', line: 3, field: 'nodes', message: 'expected at least one node, found an empty list' },
  { file: 'bad-hostlist.txt', line: 3, field: 'host', message: 'found port "99999" in "web2:99999"' },
  { file: 'bad-hostlist-spaces.txt', line: 2, field: 'host', message: 'no spaces), found "web2 web3"' },
  { file: 'bad-netns.yaml', line: 2, field: 'controller.netns', message: 'expected a network namespace name (letters, digits, "_", "." and "-", 1..64 characters), found "twl ctl" (it contains " ")' },
];

function assertInputError(run: () => unknown, expected: Omit<BadCase, 'file'> & { file: string }): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.file, expected.file);
    assert.equal(error.line, expected.line, error.message);
    assert.equal(error.field, expected.field, error.message);
    assert.ok(error.message.includes(expected.message), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(expected.message)}`);
    return true;
  });
}

describe('loadInventory: good inputs', () => {
  for (const { file, expected } of GOOD) {
    it(file, () => {
      const path = fixture(file);
      assert.deepStrictEqual(loadInventory(path, OPTS), expected(path));
    });
  }
});

describe('loadInventory: bad inputs', () => {
  for (const bad of BAD) {
    it(`${bad.file}: ${bad.field ?? 'syntax'}`, () => {
      const path = fixture(bad.file);
      assertInputError(() => loadInventory(path, OPTS), { ...bad, file: path });
    });
  }

  it('a missing file names the file', () => {
    const path = fixture('no-such-inventory.yaml');
    assert.throws(
      () => loadInventory(path, OPTS),
      (error: unknown) => error instanceof InputError && error.file === path && error.message.includes('file not found') && error.message.includes(path),
    );
  });

  it('unknown fields suggest the close match', () => {
    assert.throws(() => loadInventory(fixture('bad-unknown-field.yaml'), OPTS), /did you mean "address"\?/);
  });
});

describe('parseInventoryText: more bad inputs', () => {
  const inline: (BadCase & { text: string })[] = [
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    address: 10.0.0.1\n    port: 70000\n', line: 4, field: 'nodes[0].port', message: 'found 70000' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    address: web_1\n', line: 3, field: 'nodes[0].address', message: 'found "web_1" (not a valid host name' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    address: 10.0.0.1:22\n', line: 3, field: 'nodes[0].address', message: 'give the SSH port in "port"' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n', line: 2, field: 'nodes[0].address', message: 'missing required field "address"' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    addresses: [10.0.0.1, 10.0.0.1]\n', line: 3, field: 'nodes[0].addresses[1]', message: 'duplicate address "10.0.0.1"' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    addresses:\n      - h\n    address: h\n', line: 5, field: 'nodes[0].address', message: 'not both' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    addresses: []\n', line: 3, field: 'nodes[0].addresses', message: 'found an empty list' },
    { file: 'x.yaml', text: 'nodes:\n  - name: 1234\n    address: h\n', line: 2, field: 'nodes[0].name', message: 'found 1234; put it in quotes' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a/b\n    address: h\n', line: 2, field: 'nodes[0].name', message: 'found "a/b"' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    address: h\n    ssh: -oProxyCommand=x\n', line: 4, field: 'nodes[0].ssh', message: 'read as an option' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    address: h\n    user: -x\n', line: 4, field: 'nodes[0].user', message: 'not a valid user name' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    address: h\n    key: ~bob/key\n', line: 4, field: 'nodes[0].key', message: '~user/ form is not supported' },
    { file: 'x.yaml', text: 'controller:\n  callback_addresses: [ctl.example]\nnodes:\n  - {name: a, address: h}\n', line: 2, field: 'controller.callback_addresses[0]', message: 'not an IP address' },
    { file: 'x.yaml', text: 'defaults:\n  profile: bsd\nnodes:\n  - {name: a, address: h}\n', line: 2, field: 'defaults.profile', message: 'found "bsd" (unknown profile)' },
    { file: 'x.yaml', text: 'controller:\n  netns: ..\nnodes:\n  - {name: a, address: h}\n', line: 2, field: 'controller.netns', message: 'found ".." (it must not be "." or "..")' },
    { file: 'x.yaml', text: 'defaults:\n  user: a\n', line: 1, field: 'nodes', message: 'missing required field "nodes"' },
    { file: 'x.yaml', text: 'nodes:\n', line: 1, field: 'nodes', message: 'found nothing' },
    { file: 'x.yaml', text: '# only a comment\n', line: 1, field: 'nodes', message: 'the inventory is empty' },
    { file: 'x.yaml', text: '- a\n- b\n', line: 1, field: undefined, message: 'expected a mapping with a "nodes" list, found a list' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    address: h\n  - 7\n', line: 4, field: 'nodes[1]', message: 'expected a node (a mapping with name and address), found 7' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    address: [h\n\n', line: 3, field: undefined, message: 'YAML syntax error' },
    { file: 'x.yaml', text: 'nodes:\n  - name: a\n    address: h\nnodes: []\n', line: 4, field: undefined, message: 'YAML syntax error: Map keys must be unique' },
    { file: 'x.json', text: '{"nodes": [{"name": "a", "address": "h",}]}', line: 1, field: undefined, message: 'expected a field name in double quotes, found "}"' },
    { file: 'x.json', text: '{\n  "nodes": [\n', line: 2, field: undefined, message: 'found the end of the file' },
    { file: 'x.json', text: '{\n  "nodes": "a\n"}', line: 2, field: undefined, message: 'unterminated string' },
    { file: 'x.json', text: '{\n  "nodes": []\n}\n{}', line: 4, field: undefined, message: 'expected the end of the file' },
    { file: 'x.json', text: '{\n  "nodes": [\n    {"name": "a", "address": "h", "port": "22"}\n  ]\n}', line: 3, field: 'nodes[0].port', message: 'found "22" (a string); write the number without quotes' },
    { file: 'hosts', text: 'web1\nweb1\n', line: 2, field: 'host', message: 'duplicate host "web1": the same host and port is already listed on line 1' },
    { file: 'hosts', text: '# nothing here\n\n', line: 1, field: 'host', message: 'no hosts found' },
    { file: 'hosts', text: 'fe80::1:22:x\n', line: 1, field: 'host', message: 'write [address]:port' },
  ];
  for (const bad of inline) {
    it(`${bad.file}: ${JSON.stringify(bad.text)}`, () => {
      assertInputError(() => parseInventoryText(bad.text, bad.file, OPTS), bad);
    });
  }
});

describe('parseInventoryText: formats', () => {
  it('detects by extension first, then by content', () => {
    assert.equal(detectFormat('web1\n', 'inv.yml'), 'yaml');
    assert.equal(detectFormat('nodes: []\n', 'inv.JSON'), 'json');
    assert.equal(detectFormat('# c\n\n  {"nodes": []}', 'inv'), 'json');
    assert.equal(detectFormat('# c\ncontroller:\n  netns: x\n', 'inv'), 'yaml');
    assert.equal(detectFormat('web1\nadmin@web2:22\n', 'inv.txt'), 'hostlist');
  });

  it('follows YAML aliases and keeps the line of the entry', () => {
    const text = 'defaults: &d\n  user: ops\nnodes:\n  - name: a\n    address: h\n    user: root\n';
    const inventory = parseInventoryText(text, '/lab/inv.yaml', OPTS);
    assert.deepStrictEqual(inventory.nodes, [{ name: 'a', addresses: ['h'], user: 'root', profile: 'linux', from: { file: '/lab/inv.yaml', line: 4 } }]);
  });

  it('resolves relative paths against the inventory file and leaves absolute ones', () => {
    const text = 'ssh_config: /etc/ssh/lab_config\ndefaults:\n  key: ../keys/id\nnodes:\n  - {name: a, address: h}\n';
    const inventory = parseInventoryText(text, '/lab/inv/x.yaml', OPTS);
    assert.equal(inventory.sshConfig, '/etc/ssh/lab_config');
    assert.equal(inventory.nodes[0]?.key, '/lab/keys/id');
  });

  it('ignores a byte order mark', () => {
    const inventory = parseInventoryText('\uFEFF{"nodes": [{"name": "a", "address": "h"}]}', 'inv', OPTS);
    assert.equal(inventory.nodes[0]?.name, 'a');
  });
});

describe('parseHostSpec', () => {
  const where = { file: 'f', line: 1, field: 'host' };
  const good: [string, ReturnType<typeof parseHostSpec>][] = [
    ['web1', { address: 'web1' }],
    ['web1.lab.example.', { address: 'web1.lab.example.' }],
    ['admin@web1', { user: 'admin', address: 'web1' }],
    ['web1:2222', { address: 'web1', port: 2222 }],
    ['admin@10.0.0.5:22', { user: 'admin', address: '10.0.0.5', port: 22 }],
    ['[::1]:22', { address: '::1', port: 22 }],
    ['[fd00::1]', { address: 'fd00::1' }],
    ['::1', { address: '::1' }],
    ['root@fe80::1%eth0', { user: 'root', address: 'fe80::1%eth0' }],
    ['  web1  ', { address: 'web1' }],
  ];
  for (const [spec, expected] of good) {
    it(`accepts ${JSON.stringify(spec)}`, () => assert.deepStrictEqual(parseHostSpec(spec, where), expected));
  }

  const bad: [string, string][] = [
    ['', 'found an empty string'],
    ['web1:0', 'found port "0"'],
    ['web1:70000', 'found port "70000"'],
    ['web1:22x', 'found port "22x"'],
    ['web1:', 'found port ""'],
    ['@web1', 'found user ""'],
    ['-oProxyCommand=x', 'not a valid host name'],
    ['[::1', 'IPv6 written as [address]:port'],
    ['[::1]22', 'IPv6 written as [address]:port'],
    ['::g', 'not a valid IPv6 address'],
    ['10.0.0.300', 'not a valid IPv4 address'],
    ['a b', 'no spaces'],
  ];
  for (const [spec, message] of bad) {
    it(`rejects ${JSON.stringify(spec)}`, () => assertInputError(() => parseHostSpec(spec, where), { ...where, message }));
  }
});

describe('inventoryFromHostSpecs', () => {
  it('makes one node per --node, named by host, host:port when a host repeats', () => {
    assert.deepStrictEqual(inventoryFromHostSpecs(['admin@10.0.0.5', '[fd00::1]:2222', 'web:22', 'web:2200'], OPTS), {
      controller: {},
      nodes: [
        { name: '10.0.0.5', addresses: ['10.0.0.5'], user: 'admin', profile: 'linux', from: { file: '--node', line: 0 } },
        { name: 'fd00::1', addresses: ['fd00::1'], port: 2222, profile: 'linux', from: { file: '--node', line: 0 } },
        { name: 'web:22', addresses: ['web'], port: 22, profile: 'linux', from: { file: '--node', line: 0 } },
        { name: 'web:2200', addresses: ['web'], port: 2200, profile: 'linux', from: { file: '--node', line: 0 } },
      ],
    });
  });

  it('names repeated IPv6 hosts with brackets', () => {
    const names = inventoryFromHostSpecs(['[::1]:22', '[::1]:2222'], OPTS).nodes.map((node) => node.name);
    assert.deepStrictEqual(names, ['[::1]:22', '[::1]:2222']);
  });

  it('rejects a bad spec, a repeated spec and no specs', () => {
    const where = { file: '--node', line: undefined, field: '--node' }; // a flag has no line
    assertInputError(() => inventoryFromHostSpecs(['web:99999'], OPTS), { ...where, message: 'found port "99999"' });
    assertInputError(() => inventoryFromHostSpecs(['web', 'web'], OPTS), { ...where, message: 'already listed by an earlier --node' });
    assertInputError(() => inventoryFromHostSpecs([], OPTS), { ...where, message: 'no nodes given' });
  });
});
