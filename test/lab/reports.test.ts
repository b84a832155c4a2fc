/**
 * Issue 17's "done when", in the lab: a run of the fault scenarios gives an HTML report whose first
 * screen names every faulty node with its cause and fix, with a drawing per failing path; its live
 * view (--live, inside the controller's namespace, where the run listens) is seen filling in, in
 * Chromium; --nagios exits as the run's state says; `twoway history` over the runs, with a lab-wide
 * fault switched on and off, shows when the healthy node's callbacks broke and were fixed.
 * Needs root (the lab).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { labDown, labUp, setFault } from '../../controller/lab/index.js';
import { CTL_NETNS } from '../../controller/lab/plan.js';
import type { Report } from '../../src/report.js';
import { nodeClass } from '../../src/render/labels.js';
import type { Timeline } from '../../src/timeline.js';
import { isFailure } from '../../src/verdicts.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { labInventoryOf } from './lab-inventory.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
const FAULT_NODES = ['healthy', 'reject', 'return-acl', 'mtu', 'dual', 'sshd-stopped'];
let work = '';
let labInventory = '';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-reports-'));
  labInventory = (await labUp()).paths.inventory;
});
after(async () => {
  await setFault('controller-ingress', false).catch(() => undefined);
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

function runSync(inventory: string, extra: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'run', '--inventory', inventory, '--quiet', ...extra], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.error, undefined, `twoway run did not finish: ${r.error?.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('lab reports: HTML story with drawings, --live seen updating, --nagios exit codes, history of a fault on and off', { timeout: 900_000 }, async (t) => {
  const hist = join(work, 'hist');
  mkdirSync(hist);
  const inventory = labInventoryOf(labInventory, work, FAULT_NODES);
  const html = join(work, 'faults.html');
  const json = join(work, 'faults.json');

  // The run with its live view; the browser runs in the controller's namespace, as the run does.
  const child = spawn(process.execPath, [BIN, 'run', '--inventory', inventory, '--quiet', '--html', html, '--json', json, '--history', hist, '--nagios', '--live'], { env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no live URL on stderr: ${stderr}`)), 120_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += String(d);
      const m = /live view: (http:\/\/\S+)/.exec(stderr);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const wrapper = join(work, 'chromium-in-ctl');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${CTL_NETNS} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await chromium.launch({ executablePath: wrapper, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], timeout: 60_000 });
  const counts: number[] = [];
  try {
    const page = await browser.newPage();
    await page.goto(url);
    // Sample the rows until the run says it finished (bounded: the run's own timeout).
    for (let i = 0; i < 600 && !(await page.locator('#status.finished').isVisible()); i++) {
      counts.push(await page.locator('#rows tr').count());
      await page.waitForTimeout(250);
    }
    counts.push(await page.locator('#rows tr').count());
    await page.screenshot({ path: join(work, 'live.png') });
  } finally {
    await browser.close();
  }
  const code = await exited;
  assert.ok(counts[0]! < FAULT_NODES.length, `the page was open before the run ended (rows first seen: ${counts[0]})`);
  assert.ok(new Set(counts).size >= 2, `the rows changed while the page was open: ${counts.join(',')}`);
  assert.equal(counts.at(-1), FAULT_NODES.length, 'every node appeared');

  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  assert.equal(code, 2, `faults: CRITICAL (2)\n${stdout}\n${stderr}`);
  assert.match(stdout, /^TWOWAY CRITICAL - /);

  // The HTML: the first screen names every faulty node, cause and fix; a drawing per failing path.
  const context = await launchChromium(t);
  try {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(pathToFileURL(html).href);
    const faulty = report.nodes.filter((n) => nodeClass(n) === 'fault');
    assert.ok(faulty.length >= 4, 'the fault scenarios fault');
    const glance = (await page.locator('#glance tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ name: tr.querySelector('th')?.textContent ?? '', cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''), bottom: tr.getBoundingClientRect().bottom })),
    )) as { name: string; cells: string[]; bottom: number }[];
    for (const n of faulty) {
      const row = glance.find((r) => r.name === n.name);
      assert.ok(row !== undefined && row.bottom <= 900, `${n.name} is on the first screen`);
      assert.ok(row.cells[1]!.length > 5 && row.cells[2]!.length > 5, `${n.name}: cause and fix`);
    }
    const drawn = report.nodes.reduce((a, n) => a + n.paths.filter((p) => isFailure(p.verdict) && !(p.verdict === 'not-measured' && n.nodeVerdict !== undefined)).length, 0);
    assert.equal(await page.locator('.path-story svg.sequence').count(), drawn, 'a drawing per failing path');
    await page.screenshot({ path: join(work, 'faults.png') });
  } finally {
    await context.close();
  }

  // A lab-wide fault on, then off: the healthy node's callbacks break and are fixed; --nagios follows.
  const healthyOnly = labInventoryOf(labInventory, work, ['healthy']);
  await setFault('controller-ingress', true);
  const broken = runSync(healthyOnly, ['--history', hist, '--nagios']);
  await setFault('controller-ingress', false);
  assert.equal(broken.code, 2, `controller ingress dropped: CRITICAL\n${broken.stdout}${broken.stderr}`);
  const fixed = runSync(healthyOnly, ['--history', hist, '--nagios']);
  assert.equal(fixed.code, 0, `all passing: OK\n${fixed.stdout}${fixed.stderr}`);
  assert.match(fixed.stdout, /^TWOWAY OK - /);

  const h = spawnSync(process.execPath, [BIN, 'history', hist, '--json', '-', '--html', join(work, 'history.html')], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(h.status, 0, h.stderr);
  const timeline = JSON.parse(h.stdout) as Timeline;
  assert.equal(timeline.runs.length, 3);
  const healthy = timeline.groups.filter((g) => g.members.includes('healthy') && g.column.startsWith('cb '));
  assert.ok(healthy.length >= 1, 'the healthy node\'s callbacks are in the timeline');
  for (const g of healthy) assert.deepEqual(g.changes.map((c) => [c.change, c.run]), [['broke', 1], ['fixed', 2]], g.column);
  const text = spawnSync(process.execPath, [BIN, 'history', hist], { encoding: 'utf8', timeout: 60_000 });
  assert.match(text.stdout, /broke \(blocked\) at \S+; fixed at \S+/);
});
