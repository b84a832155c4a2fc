/** --limit: Ansible-style patterns over node names and groups; a term matching nothing is an error that lists what exists. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { applyLimit } from '../../../src/inventory/limit.js';
import type { NodeSpec } from '../../../src/inventory/types.js';

const spec = (name: string, groups?: string[]): NodeSpec => ({
  name,
  addresses: [name],
  profile: 'linux',
  ...(groups === undefined ? {} : { groups }),
  from: { file: 'inv', line: 1 },
});
const NODES = [
  spec('web01', ['web', 'dc1']),
  spec('web02', ['web', 'dc2']),
  spec('db01', ['db', 'dc1']),
  spec('mail'),
  spec('fd00::5'),
  spec('web2:2201'),
];

describe('applyLimit', () => {
  const cases: [string, string[]][] = [
    ['web01', ['web01']],
    ['web', ['web01', 'web02']],
    ['web,db', ['web01', 'web02', 'db01']],
    ['web:db', ['web01', 'web02', 'db01']],
    ['all:!web', ['db01', 'mail', 'fd00::5', 'web2:2201']],
    ['*', NODES.map((n) => n.name)],
    ['web*', ['web01', 'web02', 'web2:2201']],
    ['web:&dc1', ['web01']],
    ['!dc2', ['web01', 'db01', 'mail', 'fd00::5', 'web2:2201']],
    ['~(db|mail)', ['db01', 'mail']],
    ['fd00::5', ['fd00::5']],
    ['web2:2201', ['web2:2201']],
    ['db?1,mail', ['db01', 'mail']],
  ];
  for (const [pattern, expected] of cases) {
    it(pattern, () => assert.deepEqual(applyLimit(NODES, pattern).map((n) => n.name), expected));
  }

  it('a term that matches nothing names it and lists the nodes and groups there are', () => {
    assert.throws(
      () => applyLimit(NODES, 'web,dbs'),
      (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.equal(err.field, '--limit');
        assert.match(err.message, /"dbs" matches no node or group\. Nodes: web01, web02, db01, mail, fd00::5, web2:2201\. Groups: db, dc1, dc2, web\./);
        return true;
      },
    );
  });

  it('exclusions that remove everything are an error, not an empty run', () => {
    assert.throws(() => applyLimit(NODES, 'web:!web*'), /leaves no node to test/);
  });

  it('a bad regular expression is an input error', () => {
    assert.throws(() => applyLimit(NODES, '~web('), (err: unknown) => err instanceof InputError && /not a valid regular expression/.test(err.message));
  });
});
