/**
 * `twoway history DIR --html`: the real CLI over a stored history, the page opened in Chromium and
 * looked at: a row per path that failed, its strip drawn with the fault colour exactly where it was
 * broken (seen in the screenshot), healthy nodes folded, nothing fetched.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../../helpers/chromium.js';
import { tempDir, twoway } from '../../helpers/cli.js';
import { writeHistory } from '../../helpers/history-runs.js';
import { countColour, decodePng } from '../../helpers/png.js';

const FAULT = '#f29b9b';
const OK = '#a8dcb0';

test('history html: per path a strip of runs, broken and fixed where they were, in the picture', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, 'twoway-history-');
  const hist = join(dir, 'hist');
  mkdirSync(hist);
  writeHistory(hist);
  const file = join(dir, 'history.html');
  const r = twoway(['history', hist, '--html', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^History of 5 runs/);
  assert.equal(twoway(['history', join(dir, 'missing')]).code, 2, 'a missing directory is bad input');

  const context = await launchChromium(t);
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 1400 });
  const requests: string[] = [];
  page.on('request', (req) => requests.push(req.url()));
  await page.goto(pathToFileURL(file).href);
  assert.deepEqual(requests, [pathToFileURL(file).href], 'the page loads nothing but itself');
  assert.match(await page.locator('#healthy summary').innerText(), /1 node passed in every run/);
  assert.equal(await page.locator('#healthy').evaluate((d) => (d as HTMLDetailsElement).open), false, 'healthy nodes are folded');

  const web1 = page.locator('#timeline tr', { hasText: 'web1' }).first();
  assert.match(await web1.innerText(), /broke \(blocked\) at 20250102T030000-a2[\s\S]*fixed at 20250104T030000-a4/);
  assert.equal(await page.locator('#timeline tr.flapping').count(), 2, 'flappy, both callback paths');

  const shot = join(dir, 'history.png');
  await page.screenshot({ path: shot, fullPage: true });
  const image = decodePng(readFileSync(shot));
  const strip = (await web1.locator('svg.strip').boundingBox())!;
  const fifth = strip.width / 5;
  const part = (from: number, to: number) => ({ x: strip.x + from * fifth + 2, y: strip.y, width: (to - from) * fifth - 4, height: strip.height });
  assert.ok(countColour(image, part(1, 3), FAULT) > 200, 'runs 2 and 3 are drawn broken');
  assert.equal(countColour(image, part(1, 3), OK), 0, 'and not as passing');
  assert.equal(countColour(image, part(3, 5), FAULT), 0, 'runs 4 and 5 are not drawn broken');
  assert.ok(countColour(image, part(3, 5), OK) > 100, 'runs 4 and 5 are drawn passing');
});
