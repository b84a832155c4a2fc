/** --ssh-kex: fast asks ssh for curve25519 only, unless the operator's own -o KexAlgorithms says otherwise. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeSshOptions, sshKexOptions } from '../../../controller/ssh/options.js';

test('ssh kex: default leaves the key exchange to ssh', () => {
  assert.deepEqual(sshKexOptions('default', ['ProxyJump=bastion']), ['ProxyJump=bastion']);
});

test('ssh kex: fast asks for curve25519 after the operator options', () => {
  assert.deepEqual(mergeSshOptions(sshKexOptions('fast', ['ProxyJump=bastion']), ['BatchMode=yes']), [
    '-o', 'ProxyJump=bastion',
    '-o', 'KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org',
    '-o', 'BatchMode=yes',
  ]);
});

test("ssh kex: an operator's KexAlgorithms wins over fast", () => {
  assert.deepEqual(sshKexOptions('fast', ['kexalgorithms ecdh-sha2-nistp256']), ['kexalgorithms ecdh-sha2-nistp256']);
});
