/**
 * Measuring a real process tree: the whole tree's CPU, one process's own CPU apart from its
 * children's, its peak RSS, the interface counters before and after, and a tree ended by PID on a
 * timeout or an abort.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure } from '../../../controller/bench/measure.js';
import { isLive } from '../../../controller/lab/processes.js';

/** Burns CPU until this process has used MS of it. */
const BURN = (ms: number): string => `{ const end = process.cpuUsage().user + ${ms * 1000}; while (process.cpuUsage().user < end); }`;

/** A parent that waits for a child burning 300 ms, burns 200 ms itself, then idles (so a sample sees its final time). */
const PARENT = `
require('node:child_process').spawnSync(process.execPath, ['-e', ${JSON.stringify(BURN(300))}]);
${BURN(200)}
setTimeout(() => {}, 400);
`;

function stateFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-measure-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'stat');
}

test('the tree\'s CPU in full, and the sampled process\'s own CPU apart from its children\'s', async (t) => {
  let counter = 0;
  const m = await measure({
    command: process.execPath,
    args: ['-e', PARENT],
    timeoutMs: 30_000,
    statFile: stateFile(t),
    mainProcess: ['node'],
    interfaceBytes: async () => {
      counter += 1;
      return { tx: counter * 1000, rx: counter * 10 };
    },
  });
  assert.equal(m.exitCode, 0, m.stderr);
  assert.equal(m.timedOut, false);
  assert.ok(m.main !== undefined, 'the node process was found and sampled');
  assert.ok(m.main.childrenS >= 0.29, `children ${m.main.childrenS} s`);
  assert.ok(m.main.ownS >= 0.19, `own ${m.main.ownS} s`);
  assert.ok(m.treeCpuS >= m.main.childrenS + 0.19, `tree ${m.treeCpuS} s`);
  assert.ok(m.machineBusyS >= 0.45, `machine ${m.machineBusyS} s`);
  assert.ok(m.main.peakRssBytes > 10 * 1024 * 1024, `peak RSS ${m.main.peakRssBytes}`);
  assert.deepEqual(m.bytes, { tx: 1000, rx: 10 });
  assert.ok(m.wallS >= 0.4);
});

test('a tree past its deadline is ended by PID, children included', async (t) => {
  const m = await measure({
    command: 'sh',
    args: ['-c', 'sleep 60 & echo $!; sleep 60'],
    timeoutMs: 500,
    statFile: stateFile(t),
    interfaceBytes: async () => ({ tx: 0, rx: 0 }),
  });
  assert.equal(m.timedOut, true);
  assert.ok(m.wallS < 10, `${m.wallS} s`);
  const background = Number(m.stdout.trim());
  assert.ok(background > 1, m.stdout);
  assert.equal(isLive(background), false, 'the background sleep is gone');
});

test('an abort ends the tree at once', async (t) => {
  const abort = new AbortController();
  setTimeout(() => abort.abort('SIGINT'), 300);
  const m = await measure({
    command: 'sh',
    args: ['-c', 'sleep 60'],
    timeoutMs: 60_000,
    statFile: stateFile(t),
    interfaceBytes: async () => ({ tx: 0, rx: 0 }),
    signal: abort.signal,
  });
  assert.equal(m.timedOut, false);
  assert.ok(m.wallS < 10, `${m.wallS} s`);
  assert.notEqual(m.exitCode, 0);
});
