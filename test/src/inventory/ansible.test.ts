/**
 * Ansible inventories (INI, YAML, ansible-inventory --list JSON): what twoway makes of them, the
 * variable precedence, ranges, and errors that name file, line and field.
 */
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../../src/errors.js';
import { expandHostPattern } from '../../../src/inventory/host-range.js';
import { detectFormat, loadInventoryDescribed, parseInventoryText } from '../../../src/inventory/parse.js';
import type { NodeSpec } from '../../../src/inventory/types.js';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/ansible/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);
const OPTS = { knownProfiles: ['linux', 'windows'], defaultProfile: 'linux' } as const;

function node(nodes: readonly NodeSpec[], name: string): NodeSpec {
  const found = nodes.find((n) => n.name === name);
  assert.ok(found, `node ${name}; have ${nodes.map((n) => n.name).join(', ')}`);
  return found;
}

describe('Ansible INI', () => {
  const file = fixture('hosts.ini');
  const { inventory, kind } = loadInventoryDescribed(file, OPTS);

  it('is recognised by its extension and read in file order, ranges expanded', () => {
    assert.equal(kind, 'ansible-ini');
    assert.deepEqual(
      inventory.nodes.map((n) => n.name),
      ['mail.example.com', 'web01.example.com', 'web02.example.com', 'web03.example.com', 'foo.example.com', 'db-a.example.com', 'db-b.example.com', 'db-c', 'integrity1'],
    );
  });

  it('maps host vars, group vars and children per Ansible precedence (host > child group > parent group > all)', () => {
    // all:vars user root; prod (parent) ops and port 22; webservers (child of prod) port 2200; host line user deploy.
    assert.deepStrictEqual(node(inventory.nodes, 'web02.example.com'), {
      name: 'web02.example.com',
      addresses: ['web02.example.com'],
      user: 'deploy',
      port: 2200,
      profile: 'linux',
      groups: ['prod', 'webservers'],
      from: { file, line: 5 },
    });
    // host:port on the host line beats the group's port; twoway_profile; the comment is not a var.
    const foo = node(inventory.nodes, 'foo.example.com');
    assert.deepStrictEqual([foo.user, foo.port, foo.profile], ['ops', 2222, 'windows']);
    // ansible_host, a key relative to the inventory, an unknown var ignored.
    assert.deepStrictEqual(node(inventory.nodes, 'db-c'), {
      name: 'db-c',
      addresses: ['10.0.0.13'],
      user: 'ops',
      port: 2200,
      key: fixture('keys/db_ed25519'),
      profile: 'linux',
      groups: ['dbservers', 'prod'],
      from: { file, line: 10 },
    });
    // Hosts before any section are "ungrouped" and get only all:vars.
    assert.deepStrictEqual(node(inventory.nodes, 'mail.example.com'), {
      name: 'mail.example.com',
      addresses: ['mail.example.com'],
      user: 'root',
      profile: 'linux',
      groups: ['ungrouped'],
      from: { file, line: 2 },
    });
  });

  it('twoway_addresses: SSH goes to ansible_host first, then the other addresses', () => {
    assert.deepEqual(node(inventory.nodes, 'integrity1').addresses, ['10.0.1.7', '10.0.2.7']);
  });

  it('run-wide settings come from [all:vars]', () => {
    assert.deepEqual(inventory.controller, { netns: 'twl-ctl' });
    assert.equal(inventory.sshConfig, fixture('ssh_config'));
  });
});

describe('Ansible YAML', () => {
  const file = fixture('hosts.yaml');
  const { inventory, kind } = loadInventoryDescribed(file, OPTS);

  it('reads all: hosts/children/vars with ranges and steps', () => {
    assert.equal(kind, 'ansible-yaml');
    assert.deepEqual(
      inventory.nodes.map((n) => n.name),
      ['mail.example.com', 'web1.example.com', 'web3.example.com', 'web5.example.com', 'foo.example.com', 'db1'],
    );
  });

  it('a group listed under two parents takes the deeper depth: webservers (under prod) beats prod', () => {
    assert.deepEqual(
      inventory.nodes.map((n) => [n.name, n.user ?? '-', n.port ?? '-']),
      [
        ['mail.example.com', 'root', '-'],
        ['web1.example.com', 'deploy', 2201],
        ['web3.example.com', 'deploy', 2201],
        ['web5.example.com', 'deploy', 2201],
        ['foo.example.com', 'deploy', '-'],
        ['db1', 'ops', '-'],
      ],
    );
    assert.deepStrictEqual(node(inventory.nodes, 'db1'), {
      name: 'db1',
      addresses: ['10.0.0.11', '10.1.0.11'],
      user: 'ops',
      profile: 'linux',
      groups: ['dbservers', 'prod'],
      from: { file, line: 19 },
    });
  });
});

describe('ansible-inventory --list JSON', () => {
  const file = fixture('ansible-inventory.json');
  const { inventory, kind } = loadInventoryDescribed(file, OPTS);

  it('takes hosts from groups and vars from _meta.hostvars', () => {
    assert.equal(kind, 'ansible-json');
    assert.deepStrictEqual(inventory.nodes, [
      { name: 'db1', addresses: ['10.0.0.11'], port: 2200, profile: 'linux', groups: ['dbservers', 'prod'], from: { file, line: 27 } },
      { name: 'mail.example.com', addresses: ['mail.example.com'], profile: 'linux', groups: ['ungrouped'], from: { file, line: 38 } },
      { name: 'web1', addresses: ['10.0.0.21'], user: 'deploy', profile: 'linux', groups: ['prod', 'webservers'], from: { file, line: 43 } },
      { name: 'web2', addresses: ['10.0.0.22'], user: 'deploy', profile: 'linux', groups: ['prod', 'webservers'], from: { file, line: 44 } },
    ]);
  });

  it('an inventory script\'s bare list of hosts is a group too', () => {
    const text = '{"web": ["a", "b"], "_meta": {"hostvars": {"a": {"ansible_host": "10.0.0.1"}}}}';
    const nodes = parseInventoryText(text, '/x/script.json', OPTS).nodes;
    assert.deepEqual(nodes.map((n) => [n.name, n.addresses[0], n.groups]), [['a', '10.0.0.1', ['web']], ['b', 'b', ['web']]]);
  });
});

describe('host ranges', () => {
  const cases: [string, string[] | RegExp, number?][] = [
    ['web[01:03]', ['web01', 'web02', 'web03']],
    ['web[8:11]', ['web8', 'web9', 'web10', 'web11']],
    ['db-[a:c].example.com', ['db-a.example.com', 'db-b.example.com', 'db-c.example.com']],
    ['n[1:7:3]', ['n1', 'n4', 'n7']],
    ['r[1:2]-[a:b]', ['r1-a', 'r1-b', 'r2-a', 'r2-b']],
    ['web[01:02]:2222', ['web01', 'web02'], 2222],
    ['[fd00::5]:2222', ['fd00::5'], 2222],
    ['fd00::5', ['fd00::5']],
    ['web[5:1]', /start is after the end/],
    ['web[01:100]', /same width/],
    ['web[1:3:0]', /step "0"/],
    ['web[a:5]', /not a range/],
    ['web[1:3', /without its "]"/],
    ['web:99999', /port "99999"/],
    ['h[1:100000]', /more than 10000 hosts/],
  ];
  for (const [pattern, expected, port] of cases) {
    it(pattern, () => {
      const result = expandHostPattern(pattern);
      if (expected instanceof RegExp) {
        assert.equal(typeof result, 'string');
        assert.match(result as string, expected);
      } else {
        assert.deepEqual(result, port === undefined ? { names: expected } : { names: expected, port });
      }
    });
  }
});

describe('format detection by content', () => {
  const cases: [string, string, string][] = [
    ['[web]\nw1\n', 'ini', 'a section header'],
    ['w1 ansible_host=10.0.0.1\n', 'ini', 'a host line with key=value'],
    ['# hosts\n[fd00::5]:22\n[fd00::6]\n', 'hostlist', 'IPv6 in brackets is a host, not a section'],
    ['all:\n  hosts:\n    w1:\n', 'yaml', 'Ansible YAML'],
    ['web1\nroot@web2:22\n', 'hostlist', 'plain hosts'],
    ['{"_meta": {}}', 'json', 'JSON'],
  ];
  for (const [text, format, what] of cases) it(`${what} -> ${format}`, () => assert.equal(detectFormat(text, '/x/inventory'), format));
});

describe('errors name file, line and field', () => {
  const cases: { what: string; file: string; text: string; line: number; field: string | undefined; message: RegExp }[] = [
    { what: 'bad port in [group:vars]', file: 'i.ini', text: '[web]\nw1\n\n[web:vars]\nansible_port=22x\n', line: 5, field: 'ansible_port', message: /expected an SSH port .* found "22x"/ },
    { what: 'bad port on a host line', file: 'i.ini', text: '[web]\nw1 ansible_port=0\n', line: 2, field: 'ansible_port', message: /found "0"/ },
    { what: 'bad address', file: 'i.ini', text: 'w1 ansible_host=10.0.0.256\n', line: 1, field: 'ansible_host', message: /not a valid IPv4 address/ },
    { what: 'bad range', file: 'i.ini', text: '[web]\nok1\nweb[9:1]\n', line: 3, field: 'host', message: /start is after the end/ },
    { what: 'a word that is not key=value', file: 'i.ini', text: '[web]\nw1 ansible_user\n', line: 2, field: 'host', message: /expected key=value after the host "w1", found "ansible_user"/ },
    { what: 'unknown section kind', file: 'i.ini', text: '[web:hosts]\nw1\n', line: 1, field: 'section', message: /\[group:children\], found \[web:hosts\]/ },
    { what: 'unknown profile', file: 'i.ini', text: '[all:vars]\ntwoway_profile=solaris\n[web]\nw1\n', line: 2, field: 'twoway_profile', message: /one of linux, windows/ },
    { what: 'a twoway_ typo', file: 'i.ini', text: 'w1 twoway_profle=linux\n', line: 1, field: 'twoway_profle', message: /unknown twoway variable "twoway_profle"/ },
    { what: 'a run-wide var on a group', file: 'i.ini', text: '[web]\nw1\n[web:vars]\ntwoway_controller_netns=x\n', line: 4, field: 'twoway_controller_netns', message: /\[all:vars\]/ },
    { what: 'a Jinja2 template', file: 'i.ini', text: 'w1 ansible_host="{{ inventory_hostname }}.lan"\n', line: 1, field: 'ansible_host', message: /does not evaluate templates/ },
    { what: 'a loop of children', file: 'i.ini', text: '[a:children]\nb\n[b:children]\na\n[a]\nw1\n', line: 4, field: '[b:children]', message: /loop: a -> b -> a/ },
    { what: 'unterminated quote', file: 'i.ini', text: 'w1 ansible_user="root\n', line: 1, field: 'host', message: /unterminated " quote/ },
    {
      what: 'YAML: bad port under a host',
      file: 'i.yaml',
      text: 'all:\n  children:\n    web:\n      hosts:\n        w1:\n          ansible_port: 70000\n',
      line: 6,
      field: 'all.children.web.hosts.w1.ansible_port',
      message: /found 70000/,
    },
    { what: 'YAML: "host" for "hosts"', file: 'i.yaml', text: 'all:\n  host:\n    w1:\n', line: 2, field: 'all.host', message: /unknown group field "host"; expected one of hosts, children, vars/ },
    { what: 'YAML: no hosts at all', file: 'i.yaml', text: 'all:\n  vars:\n    x: 1\n', line: 1, field: undefined, message: /has no hosts/ },
    {
      what: 'JSON: bad hostvar names its JSON path',
      file: 'i.json',
      text: '{\n  "web": {"hosts": ["w1"]},\n  "_meta": {\n    "hostvars": {\n      "w1": {"ansible_user": "-x"}\n    }\n  }\n}\n',
      line: 5,
      field: '_meta.hostvars.w1.ansible_user',
      message: /expected a user name/,
    },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const file = `/inv/${c.file}`;
      assert.throws(
        () => parseInventoryText(c.text, file, OPTS),
        (err: unknown) => {
          assert.ok(err instanceof InputError, String(err));
          assert.deepEqual([err.file, err.line, err.field], [file, c.line, c.field], err.message);
          assert.match(err.message, c.message);
          return true;
        },
      );
    });
  }
});

describe('paths', () => {
  it('a key under ~ is the home directory; a relative key is relative to the inventory', () => {
    const nodes = parseInventoryText('a ansible_ssh_private_key_file=~/.ssh/k\nb ansible_private_key_file=k/b\n', '/lab/inv/hosts', OPTS).nodes;
    assert.deepEqual(
      nodes.map((n) => n.key),
      [join(homedir(), '.ssh/k'), '/lab/inv/k/b'],
    );
  });
});
