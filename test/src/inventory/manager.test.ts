/** The inventory's `manager` field (Ansible: twoway_manager): per node, in defaults or group vars, errors with file, line and field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { parseInventoryText } from '../../../src/inventory/parse.js';

const OPTS = { knownProfiles: ['linux', 'vmware'], defaultProfile: 'linux' } as const;

test('inventory manager: a node names its update manager; defaults give it to the others; absent means --manager', () => {
  const yaml = ['defaults:', '  manager: sum7', 'nodes:', '  - name: web1', '    address: 10.0.0.5', '  - name: esx1', '    address: 10.0.0.6', '    manager: vum'].join('\n');
  assert.deepEqual(parseInventoryText(yaml, 'inv.yaml', OPTS).nodes.map((n) => [n.name, n.manager]), [['web1', 'sum7'], ['esx1', 'vum']]);
  const json = JSON.stringify({ nodes: [{ name: 'web1', address: '10.0.0.5' }] });
  assert.equal(parseInventoryText(json, 'inv.json', OPTS).nodes[0]!.manager, undefined);
});

test('inventory manager: an unknown manager names the file, line and field and lists the managers', () => {
  const yaml = ['nodes:', '  - name: web1', '    address: 10.0.0.5', '    manager: sum8'].join('\n');
  assert.throws(
    () => parseInventoryText(yaml, 'inv.yaml', OPTS),
    (err: unknown) =>
      err instanceof InputError &&
      err.file === 'inv.yaml' &&
      err.line === 4 &&
      err.field === 'nodes[0].manager' &&
      /expected an update manager \(one of hpsum6, sum7, vum, openmanage, oneview\), found "sum8" \(unknown update manager\)/.test(err.message),
  );
  assert.throws(() => parseInventoryText(['defaults:', '  manager: 7', 'nodes:', '  - name: a', '    address: 10.0.0.5'].join('\n'), 'inv.yaml', OPTS), /line 2, field "defaults\.manager"/);
});

test('inventory manager: Ansible twoway_manager in a group\'s vars applies to its hosts, a host\'s own wins', () => {
  const ini = ['[esx]', 'esx1 ansible_host=10.0.0.6', 'esx2 ansible_host=10.0.0.7 twoway_manager=sum7', '', '[esx:vars]', 'twoway_manager=vum', '', '[web]', 'web1 ansible_host=10.0.0.5'].join('\n');
  const nodes = parseInventoryText(ini, '/x/hosts', OPTS).nodes;
  assert.deepEqual(nodes.map((n) => [n.name, n.manager]), [['esx1', 'vum'], ['esx2', 'sum7'], ['web1', undefined]]);
  assert.throws(() => parseInventoryText('[web]\nweb1 ansible_host=10.0.0.5 twoway_manager=sccm\n', '/x/hosts', OPTS), (err: unknown) => err instanceof InputError && err.line === 2 && /unknown update manager/.test(err.message));
});
