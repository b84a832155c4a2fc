/** The controller's SYN_RECV sampler, reading /proc/net/tcp-format files it is pointed at. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HalfOpenSampler } from '../../../controller/host/halfopen-sampler.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
// 10.231.0.1:63001 (F619) <- 10.231.13.2:40000 (9C40) and :40001 (9C41), SYN_RECV (03); one ESTABLISHED (01); one on port 22.
const SYN_1 = '   0: 0100E70A:F619 020DE70A:9C40 03 00000000:00000000 02:00000064 00000000     0        0 0\n';
const SYN_2 = '   1: 0100E70A:F619 020DE70A:9C41 03 00000000:00000000 02:00000064 00000000     0        0 0\n';
const ESTABLISHED = '   2: 0100E70A:F619 0201E70A:9C42 01 00000000:00000000 00:00000000 00000000     0        0 0\n';
const OTHER_PORT = '   3: 0100E70A:0016 0201E70A:9C43 03 00000000:00000000 02:00000064 00000000     0        0 0\n';

/**
 * Waits for the sampler's first read, its baseline: it says the file was readable in the same step
 * as it records what the file held, so once it does, the baseline is taken (a fixed sleep was not
 * enough under load). Bounded in count.
 */
async function baselineTaken(sampler: HalfOpenSampler): Promise<void> {
  for (let i = 0; i < 2_000 && !sampler.view().measured; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(sampler.view().measured, true, 'the first sample was taken');
}

test('half-open sampler: SYN_RECV on the listener ports, per peer, with distinct connections counted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-halfopen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tcp');
  writeFileSync(file, HEADER + ESTABLISHED + OTHER_PORT);
  const sampler = new HalfOpenSampler(new Set([63001, 63002]), 10_000, [[file, false]]);
  sampler.start();
  await baselineTaken(sampler);
  writeFileSync(file, HEADER + SYN_1 + SYN_2);
  const view = await sampler.stop();
  assert.equal(view.measured, true);
  assert.equal(view.sightings.length, 1);
  const [s] = view.sightings;
  assert.equal(s?.remote, '10.231.13.2');
  assert.equal(s?.local, '10.231.0.1');
  assert.equal(s?.port, 63001);
  assert.equal(s?.connections, 2);
  assert.ok((s?.lastAt ?? 0) >= (s?.firstAt ?? 0));
  // Stopped: later calls only return the view.
  writeFileSync(file, HEADER);
  assert.deepEqual(await sampler.stop(), view);
});

test('half-open sampler: what was half-open before the run started (an earlier run\'s) is not this run\'s', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-halfopen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tcp');
  writeFileSync(file, HEADER + SYN_1);
  const sampler = new HalfOpenSampler(new Set([63001]), 10_000, [[file, false]]);
  sampler.start();
  await baselineTaken(sampler);
  writeFileSync(file, HEADER + SYN_1 + SYN_2);
  const view = await sampler.stop();
  assert.deepEqual(view.sightings.map((s) => s.connections), [1], 'only the connection that appeared during the run');
});

test('half-open sampler: an unreadable /proc says "not measured" rather than "nothing seen"', async () => {
  const sampler = new HalfOpenSampler(new Set([63001]), 10_000, [['/nonexistent/twoway/tcp', false]]);
  sampler.start();
  const view = await sampler.stop();
  assert.deepEqual(view, { measured: false, sightings: [] });
});
