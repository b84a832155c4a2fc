/**
 * Files ssh is given (the ssh_config, each node's key, an -o IdentityFile) that are missing or not
 * files are usage errors: exit 2 before anything starts, naming the file and where it was given,
 * never every node `ssh-unreachable`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { escapeRegExp } from '../../helpers/regexp.js';
import { tempDir, twoway } from '../../helpers/cli.js';

function assertUsageError(r: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /testing|preflight/, 'nothing started');
  assert.equal(r.stdout, '');
}

test('ssh files: a missing -F ssh_config is a usage error naming the flag', () => {
  const r = twoway(['run', '--node', '127.0.0.1', '-F', '/nonexistent/ssh_config']);
  assertUsageError(r, /^twoway: \/nonexistent\/ssh_config, field "--ssh-config": cannot read the ssh_config file: ENOENT$/m);
});

test('ssh files: a missing ssh_config named by the inventory is a usage error naming the inventory and field', (t) => {
  const dir = tempDir(t);
  const inventory = join(dir, 'inv.yaml');
  writeFileSync(inventory, 'ssh_config: missing_config\nnodes:\n  - name: a\n    address: 127.0.0.1\n');
  const r = twoway(['run', '--inventory', inventory]);
  assertUsageError(r, new RegExp(`^twoway: ${escapeRegExp(inventory)}, field "ssh_config": cannot read the ssh_config file "${escapeRegExp(join(dir, 'missing_config'))}": ENOENT$`, 'm'));
});

test('ssh files: a node\'s missing key is a usage error naming the inventory, the node\'s line and the field', (t) => {
  const dir = tempDir(t);
  const inventory = join(dir, 'inv.yaml');
  writeFileSync(inventory, 'nodes:\n  - name: a\n    address: 127.0.0.1\n  - name: b\n    address: 127.0.0.2\n    key: keys/b_ed25519\n');
  const r = twoway(['run', '--inventory', inventory]);
  assertUsageError(r, new RegExp(`^twoway: ${escapeRegExp(inventory)}, line 4, field "key": node "b": cannot read the SSH key file "${escapeRegExp(join(dir, 'keys/b_ed25519'))}": ENOENT$`, 'm'));
});

test('ssh files: a key that is a directory is named as such', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'keys'));
  const inventory = join(dir, 'inv.yaml');
  writeFileSync(inventory, 'defaults:\n  key: keys\nnodes:\n  - name: a\n    address: 127.0.0.1\n');
  const r = twoway(['preflight', '--inventory', inventory]);
  assertUsageError(r, /line 4, field "key": node "a": cannot read the SSH key file ".*\/keys": it is a directory$/m);
});

test('ssh files: an Ansible host\'s missing private key file names the host\'s line and the Ansible variable', (t) => {
  const dir = tempDir(t);
  const inventory = join(dir, 'hosts.ini');
  writeFileSync(inventory, '[web]\nweb1 ansible_host=127.0.0.1\nweb2 ansible_host=127.0.0.2 ansible_ssh_private_key_file=/nonexistent/web2.key\n');
  const r = twoway(['run', '--inventory', inventory]);
  assertUsageError(r, new RegExp(`^twoway: ${escapeRegExp(inventory)}, line 3, field "ansible_ssh_private_key_file": node "web2": cannot read the SSH key file "/nonexistent/web2\\.key": ENOENT$`, 'm'));
});

test('ssh files: a missing IdentityFile given with -o is a usage error naming the flag', () => {
  const r = twoway(['run', '--node', '127.0.0.1', '-o', 'IdentityFile=/nonexistent/id_ed25519']);
  assertUsageError(r, /^twoway: field "--ssh-option": "IdentityFile=\/nonexistent\/id_ed25519": cannot read the SSH key file "\/nonexistent\/id_ed25519": ENOENT$/m);
});

test('ssh files: files that are there pass, -F /dev/null included, and the run goes on to SSH', (t) => {
  const dir = tempDir(t);
  const key = join(dir, 'id_test');
  writeFileSync(key, 'not a real key: ssh never gets this far, the port refuses\n', { mode: 0o600 });
  const inventory = join(dir, 'inv.yaml');
  // Port 1 on loopback: nothing listens, so ssh is refused at once; the listeners use free ports.
  writeFileSync(inventory, `nodes:\n  - name: a\n    address: 127.0.0.1\n    port: 1\n    user: root\n    key: ${key}\n`);
  const r = twoway(['run', '--inventory', inventory, '-F', '/dev/null', '--port', '0', '--ssl-port', '0', '--no-alternates', '--connect-timeout', '2']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^a\s+ssh-refused/m);
});
