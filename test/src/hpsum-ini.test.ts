/** hpsum.ini port settings: parsing, and how they meet the flags. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choosePort, parseHpsumIni } from '../../src/hpsum-ini.js';
import { InputError } from '../../src/errors.js';

test('hpsum.ini: port, ssl_port and ftp_port from any section and any case; other keys and comments ignored', () => {
  const text = '; HP SUM settings\n[General]\nPORT = 80\nssl_port=443\n# ftp below\n[ftp]\nftp_port=2121\nopen_firewall=yes\n';
  assert.deepEqual(parseHpsumIni(text, 'hpsum.ini'), { port: 80, ssl_port: 443, ftp_port: 2121 });
  assert.deepEqual(parseHpsumIni('', 'hpsum.ini'), {});
});

test('hpsum.ini: a bad port names the file, the line and the key', () => {
  assert.throws(
    () => parseHpsumIni('[General]\nport=80\nssl_port=4430000\n', '/etc/hpsum.ini'),
    (err: unknown) => err instanceof InputError && err.file === '/etc/hpsum.ini' && err.line === 3 && err.field === 'ssl_port' && /"4430000"/.test(err.message),
  );
});

test('hpsum.ini: flags win, the file beats the default, and a disagreement is reported', () => {
  assert.deepEqual(choosePort('port', '--port', undefined, 80, 63001), { port: 80, from: 'hpsum.ini' });
  assert.deepEqual(choosePort('port', '--port', undefined, undefined, 63001), { port: 63001, from: 'default' });
  assert.deepEqual(choosePort('port', '--port', 80, 80, 63001), { port: 80, from: 'flag' });
  assert.deepEqual(choosePort('port', '--port', 8080, 80, 63001), {
    port: 8080,
    from: 'flag',
    conflict: 'hpsum.ini has port=80, --port 8080 was given: using 8080',
  });
});
