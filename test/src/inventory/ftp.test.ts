/** The inventory's `ftp` field: per node and in defaults, a YAML/JSON boolean, errors with file, line and field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { parseInventoryText } from '../../../src/inventory/parse.js';

const OPTS = { knownProfiles: ['linux'], defaultProfile: 'linux' } as const;

test('inventory ftp: a node says ftp: true; defaults give it to the others; absent means off', () => {
  const yaml = ['defaults:', '  ftp: true', 'nodes:', '  - name: sw1', '    address: 10.0.0.5', '  - name: web1', '    address: 10.0.0.6', '    ftp: false'].join('\n');
  assert.deepEqual(parseInventoryText(yaml, 'inv.yaml', OPTS).nodes.map((n) => [n.name, n.ftp]), [['sw1', true], ['web1', false]]);
  const json = JSON.stringify({ nodes: [{ name: 'sw1', address: '10.0.0.5', ftp: true }, { name: 'web1', address: '10.0.0.6' }] });
  assert.deepEqual(parseInventoryText(json, 'inv.json', OPTS).nodes.map((n) => n.ftp), [true, undefined]);
});

test('inventory ftp: anything but a boolean names the file, line and field and says how to write it', () => {
  const yaml = ['nodes:', '  - name: sw1', '    address: 10.0.0.5', '    ftp: "yes"'].join('\n');
  assert.throws(
    () => parseInventoryText(yaml, 'inv.yaml', OPTS),
    (err: unknown) =>
      err instanceof InputError &&
      err.file === 'inv.yaml' &&
      err.line === 4 &&
      err.field === 'nodes[0].ftp' &&
      /expected true or false .*, found .*; write true or false without quotes/.test(err.message),
  );
  assert.throws(() => parseInventoryText(['nodes:', '  - name: sw1', '    address: 10.0.0.5', '    ftp: 21'].join('\n'), 'inv.yaml', OPTS), /line 4, field "nodes\[0\]\.ftp": expected true or false/);
});
