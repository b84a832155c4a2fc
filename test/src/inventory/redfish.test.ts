/** A node's Redfish settings in twoway YAML and in Ansible variables; a password is never accepted inline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { redfishSpecOf } from '../../../src/inventory/redfish.js';

const fail = (field: string, message: string): never => {
  throw new InputError(message, { field });
};
const PIN = Array.from({ length: 32 }, () => 'ab').join(':');

test('redfish inventory: user, a password source and one trust setting make a spec', () => {
  assert.deepEqual(redfishSpecOf({ user: 'admin', password_env: 'BMC_PW', fingerprint: PIN, address: '10.0.5.2', port: 8443 }, fail), {
    address: '10.0.5.2',
    port: 8443,
    user: 'admin',
    password: { env: 'BMC_PW' },
    trust: { fingerprint256: PIN.toUpperCase() },
  });
  assert.deepEqual(redfishSpecOf({ user: 'admin', password_file: '/etc/bmc.pw', tofu_file: '/var/lib/twoway/bmc-known' }, fail).trust, { tofuFile: '/var/lib/twoway/bmc-known' });
});

const REFUSED: [string, Parameters<typeof redfishSpecOf>[0], RegExp][] = [
  ['no password source', { user: 'a', fingerprint: PIN }, /exactly one of password_env .* never written in the inventory/],
  ['two password sources', { user: 'a', password_env: 'X', password_file: '/f', fingerprint: PIN }, /exactly one of password_env/],
  ['a password where an env name goes', { user: 'a', password_env: 'hunter2!', fingerprint: PIN }, /environment variable's name/],
  ['no trust setting', { user: 'a', password_env: 'X' }, /always verified/],
  ['two trust settings', { user: 'a', password_env: 'X', fingerprint: PIN, ca_file: '/ca' }, /exactly one of fingerprint/],
  ['a short fingerprint', { user: 'a', password_env: 'X', fingerprint: 'AB:CD' }, /32 hex pairs/],
  ['no user', { password_env: 'X', fingerprint: PIN }, /user name/],
];
for (const [name, values, message] of REFUSED) {
  test(`redfish inventory: refused: ${name}`, () => assert.throws(() => redfishSpecOf(values, fail), message));
}
