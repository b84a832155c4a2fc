/** Ed25519 keys written in OpenSSH's format by the lab itself: OpenSSH's own ssh-keygen must read them back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateOpensshEd25519, renderOpensshEd25519 } from '../../../controller/lab/openssh-key.js';
import { generateKey } from '../../../controller/lab/sshd.js';

test('ssh-keygen derives the same public key from the private key file, comment included', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const comment of ['twoway-lab-fleet-001', 'x', 'a comment of odd length!']) {
    const pair = generateOpensshEd25519(comment);
    const file = join(dir, 'key');
    writeFileSync(file, pair.privateKey, { mode: 0o600 });
    const r = spawnSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pair.publicKey);
    assert.match(pair.publicKey, new RegExp(`^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\\S+ ${comment.replace(/[!]/g, '\\$&')}$`));
    rmSync(file);
  }
});

/** Reads SSH wire-format strings one after another. */
function reader(buf: Buffer): { string(): Buffer; uint32(): number; rest(): Buffer } {
  let at = 0;
  return {
    uint32() {
      const v = buf.readUInt32BE(at);
      at += 4;
      return v;
    },
    string() {
      const length = buf.readUInt32BE(at);
      const s = buf.subarray(at + 4, at + 4 + length);
      at += 4 + length;
      return s;
    },
    rest: () => buf.subarray(at),
  };
}

test('the file layout: unencrypted openssh-key-v1, seed and public key, comment, padding 1, 2, 3, ... to 8 bytes', () => {
  const seed = Buffer.alloc(32, 7);
  const pub = Buffer.alloc(32, 9);
  const { privateKey, publicKey } = renderOpensshEd25519(seed, pub, 'c', 0x01020304);
  const lines = privateKey.trim().split('\n');
  assert.equal(lines[0], '-----BEGIN OPENSSH PRIVATE KEY-----');
  assert.equal(lines.at(-1), '-----END OPENSSH PRIVATE KEY-----');
  assert.ok(lines.slice(1, -1).every((l) => l.length <= 70));
  const body = Buffer.from(lines.slice(1, -1).join(''), 'base64');
  assert.equal(body.subarray(0, 15).toString('latin1'), 'openssh-key-v1\0');
  const r = reader(body.subarray(15));
  assert.deepEqual([r.string().toString(), r.string().toString(), r.string().toString(), r.uint32()], ['none', 'none', '', 1]);
  const publicBlob = r.string();
  assert.equal(publicKey, `ssh-ed25519 ${publicBlob.toString('base64')} c`);
  const section = r.string();
  assert.equal(r.rest().length, 0);
  assert.equal(section.length % 8, 0);
  const p = reader(section);
  assert.deepEqual([p.uint32(), p.uint32()], [0x01020304, 0x01020304]);
  assert.equal(p.string().toString(), 'ssh-ed25519');
  assert.deepEqual(p.string(), pub);
  assert.deepEqual(p.string(), Buffer.concat([seed, pub]));
  assert.equal(p.string().toString(), 'c');
  const padding = [...p.rest()];
  assert.deepEqual(padding, Array.from({ length: padding.length }, (_, i) => i + 1));
  assert.throws(() => renderOpensshEd25519(Buffer.alloc(31), pub, 'c', 1), /32 bytes/);
});

test('the lab\'s generateKey: a private key file only its owner reads, and the public key beside it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'k');
  const line = await generateKey(file, 'twoway-lab-k');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(`${file}.pub`, 'utf8'), `${line}\n`);
  assert.equal(spawnSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).stdout.trim(), line);
});
