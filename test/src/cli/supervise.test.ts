/** The controller child's V8 flags (src/cli/supervise.ts childExecArgv): ours unless the operator set the same one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childExecArgv } from '../../../src/cli/supervise.js';

test('supervise: the child gets the parent\'s flags plus a 2 MiB semi-space', () => {
  assert.deepEqual(childExecArgv(['--enable-source-maps'], undefined), ['--enable-source-maps', '--max-semi-space-size=2']);
  assert.deepEqual(childExecArgv([], ''), ['--max-semi-space-size=2']);
});

test('supervise: a semi-space size the operator set, on the command line or in NODE_OPTIONS, is kept and not doubled', () => {
  assert.deepEqual(childExecArgv(['--max-semi-space-size=8'], undefined), ['--max-semi-space-size=8']);
  assert.deepEqual(childExecArgv([], '--inspect  --max-semi-space-size=16'), []);
  assert.deepEqual(childExecArgv([], '--max-old-space-size=512'), ['--max-semi-space-size=2']);
});
