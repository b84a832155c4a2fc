/** The default number of nodes in flight follows the controller's cores, within bounds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConcurrency, NODES_PER_CORE } from '../../../controller/run/concurrency.js';

test('default concurrency: per core, at least 4, at most 64', () => {
  assert.equal(defaultConcurrency(1), Math.max(4, NODES_PER_CORE));
  assert.equal(defaultConcurrency(2), 2 * NODES_PER_CORE);
  assert.equal(defaultConcurrency(64), 64);
});
