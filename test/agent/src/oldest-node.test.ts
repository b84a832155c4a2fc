/**
 * The Node agent must run on the oldest Node a node may have (12): the agent's loopback tests, run
 * again with the agent under Node 12.22.12. esbuild's node12 target only lowers syntax; this catches
 * library calls that Node 12 lacks, and every agent run must say it ran there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OLDEST_NODE, oldestNode, oldestNodeAvailableHere } from '../../helpers/oldest-node.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The loopback test files that run the Node agent (through agent-process.ts). */
const AGENT_TESTS = ['agent', 'channels', 'websocket', 'ftp', 'connect-timeout'].map((name) => join(HERE, `${name}.test.js`));

test(`node agent: its loopback tests pass with the agent under Node ${OLDEST_NODE}`, { skip: oldestNodeAvailableHere ? false : 'the registry has Node 12 builds for Linux x64 only' }, () => {
  const node = oldestNode();
  assert.equal(spawnSync(node, ['-v'], { encoding: 'utf8' }).stdout.trim(), OLDEST_NODE);
  for (const file of AGENT_TESTS) assert.ok(existsSync(file), file);

  // Without NODE_TEST_CONTEXT the nested runner reports in TAP on its own stdout, not to this runner.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--test-concurrency=1', ...AGENT_TESTS], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...env, TWOWAY_AGENT_NODE: node, TWOWAY_AGENT_NODE_VERSION: OLDEST_NODE },
  });
  assert.equal(r.error, undefined, `the nested test run did not finish: ${r.error?.message}`);
  const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(r.stdout)?.[1] ?? NaN);
  assert.equal(r.status, 0, failures(r.stdout));
  assert.equal(count('fail'), 0);
  assert.ok(count('pass') >= 50, `agent tests passed under ${OLDEST_NODE}: ${count('pass')}`);
});

/** Each failed test of the nested TAP output with the first lines of its error (the result it got). */
function failures(tap: string): string {
  const lines = tap.split('\n');
  return lines.flatMap((line, i) => (/^\s*not ok|^\s*error:/.test(line) ? lines.slice(i, i + (line.includes('error:') ? 4 : 1)) : [])).join('\n');
}
