/**
 * The false-alarm soak, small enough for CI (issue 13: "many healthy nodes checked several times in a
 * row must give no verdict but ok"): healthy fleet nodes, each sshd on 22 only like a real server,
 * three runs in a row with twoway's defaults; not one warning or fault, every run exits 0, every node
 * gets its result. `npm run soak -- --nodes 100` is the full-size run (controller/bench/soak.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak } from '../../controller/bench/soak.js';
import { describeTally } from '../../controller/bench/soak-tally.js';
import { labDown } from '../../controller/lab/index.js';

const NODES = 16;
const RUNS = 3;

test(`false-alarm soak: ${NODES} healthy nodes, ${RUNS} runs in a row, nothing but ok`, { timeout: 600_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'the lab test runs as root');
  t.after(() => labDown());
  await labDown();
  const lines: string[] = [];
  const tally = await runSoak({ nodes: NODES, runs: RUNS, keepLab: false }, (line) => lines.push(line));
  const said = describeTally(tally, NODES);
  t.diagnostic(said.join('\n'));
  assert.equal(tally.runs, RUNS, lines.join('\n'));
  assert.deepEqual(tally.failedRuns, [], lines.join('\n'));
  assert.deepEqual(tally.missing, []);
  assert.deepEqual(tally.alarms, []);
  assert.equal(tally.nodeVerdicts, NODES * RUNS);
  // Each node's SSH path and its callbacks were judged, not skipped: ok paths outnumber the nodes.
  assert.ok(tally.pathClasses.ok >= NODES * RUNS * 2, said[0]);
});
