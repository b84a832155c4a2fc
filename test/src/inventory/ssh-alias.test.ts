/**
 * ssh_config Host aliases resolved with the real `ssh -G` (which prints the configuration and never
 * connects), and `twoway inventory` end to end: what it prints, and exit 2 naming file, line and field.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../../src/errors.js';
import { resolveSshAliases } from '../../../src/inventory/ssh-alias.js';
import type { NodeSpec } from '../../../src/inventory/types.js';

const BIN = fileURLToPath(new URL('../../../../bin/twoway.js', import.meta.url));
let dir = '';
let config = '';
let ini = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'twoway-ssh-alias-'));
  config = join(dir, 'ssh_config');
  ini = join(dir, 'hosts.ini');
  writeFileSync(ini, '[web]\nweb1\nweb2 ansible_host=127.0.0.22 ansible_port=2200\n\n[web:vars]\nansible_user=ops\n');
  writeFileSync(config, ['Host web1 web1-mgmt', '  HostName 127.0.0.21', '  User admin', '  Port 2222', 'Host db', '  HostName %h.example.net', ''].join('\n'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const spec = (name: string, address = name, extra: Partial<NodeSpec> = {}): NodeSpec => ({ name, addresses: [address], profile: 'linux', from: { file: 'inv', line: 3 }, ...extra });

describe('resolveSshAliases', () => {
  it('an alias gets the address ssh would go to, and SSH is still given the alias', async () => {
    const [web1] = await resolveSshAliases([spec('web1')], { configFile: config });
    assert.deepEqual(web1?.addresses, ['127.0.0.21']);
    assert.equal(web1?.sshHost, 'web1');
    assert.deepEqual([web1?.sshResolved?.hostname, web1?.sshResolved?.user, web1?.sshResolved?.port], ['127.0.0.21', 'admin', 2222]);
  });

  it('HostName with %h tokens is expanded by ssh itself', async () => {
    const [db] = await resolveSshAliases([spec('db')], { configFile: config });
    assert.deepEqual([db?.addresses, db?.sshHost], [['db.example.net'], 'db']);
  });

  it('IP addresses, names ssh does not map, and nodes that already name their ssh host are left as they are', async () => {
    const nodes = [spec('a', '127.0.0.5'), spec('plain.example.org'), spec('b', 'web1', { sshHost: 'web1-mgmt' })];
    assert.deepStrictEqual(await resolveSshAliases(nodes, { configFile: config }), nodes);
  });

  it('an unreadable ssh_config is an input error naming the node', async () => {
    await assert.rejects(resolveSshAliases([spec('web1')], { configFile: join(dir, 'missing') }), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.line, 3);
      assert.match(err.message, /node "web1": ssh -G .* failed: .*missing/);
      return true;
    });
  });
});

function twoway(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('twoway inventory', () => {
  it('prints each node with its addresses, user, port, groups and source line; aliases resolved with -F', () => {
    const r = twoway('inventory', ini, '-F', config);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Ansible INI, 2 node\(s\)/);
    assert.match(r.stdout, /^web1\s+127\.0\.0\.21\s+ops\s+-\s+-\s+linux\s+web\s+\S+hosts\.ini:2$/m);
    assert.match(r.stdout, /^ {2}ssh goes to web1 \(ssh_config Host alias; ssh -G: hostname 127\.0\.0\.21, user admin, port 2222\)$/m);
    assert.match(r.stdout, /^web2\s+127\.0\.0\.22\s+ops\s+2200\s+-\s+linux\s+web\s+\S+hosts\.ini:3$/m);

    const json = JSON.parse(twoway('inventory', ini, '-F', config, '--json', '--limit', 'web2').stdout) as { format: string; nodes: NodeSpec[] };
    assert.equal(json.format, 'ansible-ini');
    assert.deepEqual(json.nodes.map((n) => n.name), ['web2']);
  });

  it('bad input: exit 2, naming file, line and field', () => {
    const bad = join(dir, 'bad.ini');
    writeFileSync(bad, '[web]\nw1\n[web:vars]\nansible_port=abc\n');
    const r = twoway('inventory', bad);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), `twoway: ${bad}, line 4, field "ansible_port": expected an SSH port (a whole number 1..65535), found "abc" (a string)`);
  });

  it('--limit matching nothing: exit 2 with what exists', () => {
    const r = twoway('inventory', ini, '-F', config, '--limit', 'db');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /field "--limit": "db" matches no node or group\. Nodes: web1, web2\. Groups: web\./);
  });
});
