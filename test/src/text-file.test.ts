/** Input files are read bounded and as text only: a wrong file is an InputError naming it, its size or its first bad byte. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { loadHpsumIni, MAX_HPSUM_INI_BYTES } from '../../src/hpsum-ini.js';
import { loadInventory, MAX_INVENTORY_BYTES } from '../../src/inventory/parse.js';
import { loadProfileFile } from '../../src/profile-file.js';
import { readTextFile } from '../../src/text-file.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-text-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function inputError(check: (err: InputError) => void): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    check(err);
    return true;
  };
}

const RULE = { what: 'the thing', maxBytes: 100, field: '--thing' };

test('text file: a file over the limit is refused before it is read, naming the file, its size and the limit', (t) => {
  const file = join(tempDir(t), 'inventory.yaml');
  writeFileSync(file, '');
  // Sparse: the size is there at once, and nothing of it needs reading to be refused.
  truncateSync(file, MAX_INVENTORY_BYTES + 1);
  assert.throws(
    () => loadInventory(file, { knownProfiles: ['linux'], defaultProfile: 'linux' }),
    inputError((err) => {
      assert.equal(err.file, file);
      assert.match(err.message, /the inventory is 16\.0 MiB \(16777217 bytes\), more than the limit of 16\.0 MiB \(16777216 bytes\)/);
    }),
  );
});

test('text file: a device with no size up front is read only to one byte past the limit', () => {
  assert.throws(
    () => readTextFile('/dev/zero', RULE),
    inputError((err) => {
      assert.equal(err.file, '/dev/zero');
      assert.equal(err.field, '--thing');
      assert.match(err.message, /the thing is larger than 100 bytes, more than the limit of 100 bytes/);
    }),
  );
});

test('text file: exactly the limit is read', (t) => {
  const file = join(tempDir(t), 'f');
  writeFileSync(file, 'x'.repeat(RULE.maxBytes));
  assert.equal(readTextFile(file, RULE).length, RULE.maxBytes);
});

test('text file: NUL bytes and invalid UTF-8 are refused with the line and byte of the first one', (t) => {
  const dir = tempDir(t);
  const cases: [string, Buffer, number, number, RegExp][] = [
    ['nul', Buffer.from('port=1\nssl\0port=2\n'), 2, 10, /not a text file: a NUL byte at byte 10$/],
    ['latin1', Buffer.concat([Buffer.from('a\nb\ncaf'), Buffer.from([0xe9]), Buffer.from('\n')]), 3, 7, /not a text file: invalid UTF-8 at byte 7$/],
    ['overlong', Buffer.from([0x61, 0xc0, 0xaf]), 1, 1, /invalid UTF-8 at byte 1$/],
    ['surrogate', Buffer.from([0x61, 0x62, 0xed, 0xa0, 0x80]), 1, 2, /invalid UTF-8 at byte 2$/],
    ['cut short', Buffer.from([0x0a, 0xe2, 0x82]), 2, 1, /invalid UTF-8 at byte 1$/],
    ['utf-16', Buffer.from('\ufeffport=1\n', 'utf16le'), 1, 3, /a NUL byte at byte 3; it looks like UTF-16: save it as UTF-8$/],
  ];
  for (const [name, bytes, line, offset, message] of cases) {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    assert.throws(
      () => readTextFile(file, RULE),
      inputError((err) => {
        assert.equal(err.line, line, name);
        assert.ok(err.message.includes(`byte ${offset}`), name);
        assert.match(err.message, message, name);
      }),
      name,
    );
  }
});

test('text file: a UTF-8 byte order mark is dropped, so the first key still counts', (t) => {
  const file = join(tempDir(t), 'hpsum.ini');
  writeFileSync(file, '\ufeffport=8080\r\nssl_port=8443\r\n');
  assert.deepEqual(loadHpsumIni(file), { port: 8080, ssl_port: 8443 });
});

test('text file: a binary hpsum.ini is refused, not read as "no ports set"', (t) => {
  const file = join(tempDir(t), 'hpsum.ini');
  writeFileSync(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00]));
  assert.throws(
    () => loadHpsumIni(file),
    inputError((err) => {
      assert.equal(err.field, '--hpsum-ini');
      assert.match(err.message, /it is not a text file: a NUL byte at byte 7/);
    }),
  );
  truncateSync(file, MAX_HPSUM_INI_BYTES + 1);
  assert.throws(() => loadHpsumIni(file), inputError((err) => assert.match(err.message, /it is 1\.0 MiB \(1048577 bytes\), more than the limit of 1\.0 MiB/)));
});

test('text file: a directory, a missing file and a profile file in the wrong encoding each say so', (t) => {
  const dir = tempDir(t);
  assert.throws(() => readTextFile(dir, RULE), inputError((err) => assert.match(err.message, /cannot read the thing: EISDIR \(it is a directory, not a file\)/)));
  assert.throws(() => readTextFile(join(dir, 'nope'), RULE), inputError((err) => assert.match(err.message, /cannot read the thing: ENOENT \(file not found\)/)));
  const profiles = join(dir, 'profiles.yaml');
  writeFileSync(profiles, Buffer.from('profiles:\n  caf\xe9:\n', 'latin1'));
  assert.throws(() => loadProfileFile(profiles), inputError((err) => assert.match(err.message, /field "--profiles": the profile file is not a text file: invalid UTF-8 at byte 15/)));
});
