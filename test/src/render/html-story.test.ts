/**
 * The story-first HTML report in headless Chromium, looked at as a picture: the first screen names
 * every faulty node with its cause and fix; every failing path has its drawing; the screenshot shows,
 * inside each drawing's box, the marks it must (the lost packet's cross and the stop band, the ladder's
 * passed and stuck rungs); on paper the panels go and the story stays.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Report } from '../../../src/report.js';
import { renderHtml } from '../../../src/render/html.js';
import { nodeClass } from '../../../src/render/labels.js';
import { isFailure } from '../../../src/verdicts.js';
import { launchChromium } from '../../helpers/chromium.js';
import { tempDir } from '../../helpers/cli.js';
import { countColour, decodePng } from '../../helpers/png.js';
import { storyReport } from '../../helpers/story-report.js';
import { fleetReport } from '../../fixtures/report/load.js';

const SCREEN = { width: 1280, height: 900 };
const LOST = '#b3261e';
const STOP_BAND = '#fde2e1';
const PASSED_RUNG = '#a8dcb0';
const REACHED_RUNG = '#f29b9b';

/** Failing paths the story draws: a failed session's unmeasured paths are told by the session. */
function drawnPaths(report: Report): number {
  return report.nodes.reduce((a, n) => a + n.paths.filter((p) => isFailure(p.verdict) && !(p.verdict === 'not-measured' && n.nodeVerdict !== undefined)).length, 0);
}

for (const [name, make] of [['fleet fixture (legacy evidence)', fleetReport], ['typed evidence of every drawn variant', storyReport]] as const) {
  test(`html story (${name}): first screen names every faulty node, cause and fix; a drawing per failing path, seen in the screenshot`, { timeout: 120_000 }, async (t) => {
    const dir = tempDir(t, 'twoway-html-story-');
    const report = make();
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(report));
    const context = await launchChromium(t);
    try {
      const page = await context.newPage();
      await page.setViewportSize(SCREEN);
      await page.goto(pathToFileURL(file).href);

      const faulty = report.nodes.filter((n) => nodeClass(n) === 'fault').map((n) => n.name);
      assert.ok(faulty.length >= 3, 'the report has faulty nodes');
      const rows = page.locator('#glance tbody tr');
      const glance = (await rows.evaluateAll((trs) =>
        trs.map((tr) => ({ name: tr.querySelector('th')?.textContent ?? '', cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''), bottom: tr.getBoundingClientRect().bottom })),
      )) as { name: string; cells: string[]; bottom: number }[];
      for (const n of faulty) {
        const row = glance.find((r) => r.name === n);
        assert.ok(row, `${n} is named in the summary table`);
        assert.ok(row.bottom <= SCREEN.height, `${n} is on the first screen (row ends at ${row.bottom}px)`);
        assert.ok(row.cells[1]!.length > 5 && row.cells[2]!.length > 5, `${n}: a cause and a fix`);
      }
      const storyTop = (await page.locator('#story').boundingBox())!.y;
      const matrixTop = (await page.locator('#matrix').boundingBox())!.y;
      assert.ok(storyTop < matrixTop, 'the story comes before the matrix');

      const sequences = page.locator('.path-story svg.sequence');
      assert.equal(await sequences.count(), drawnPaths(report), 'a drawing per failing path');

      const shot = join(dir, 'story.png');
      await page.screenshot({ path: shot, fullPage: true });
      const image = decodePng(readFileSync(shot));
      const stops = await page.locator('.path-story svg.sequence:not([data-stop="none"])').evaluateAll((svgs) =>
        svgs.map((s) => {
          const r = s.getBoundingClientRect();
          return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
        }),
      );
      assert.ok(stops.length > 0);
      for (const box of stops) {
        assert.ok(countColour(image, box, LOST) > 30, `the lost packet's dashed line and cross are in the picture at ${JSON.stringify(box)}`);
        assert.ok(countColour(image, box, STOP_BAND) > 500, `the stop band is in the picture at ${JSON.stringify(box)}`);
      }
      const ladders = await page.locator('svg.ladder').evaluateAll((svgs) =>
        svgs.map((s) => {
          const r = s.getBoundingClientRect();
          return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
        }),
      );
      assert.equal(ladders.length, 1, 'one size fault, one ladder');
      assert.ok(countColour(image, ladders[0]!, PASSED_RUNG) > 500, 'passed rungs are drawn');
      assert.ok(countColour(image, ladders[0]!, LOST) > 50, 'a stuck rung is drawn');
      if (make === storyReport) {
        assert.ok(countColour(image, ladders[0]!, REACHED_RUNG) > 20, 'the stuck rung is filled to its offset');
        assert.match(await page.locator('svg.ladder').innerHTML(), /path MTU: 1400 bytes/);
      }

      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('#glance').isVisible(), true, 'printed: the story stays');
      await page.goto(`${pathToFileURL(file).href}#node-1`);
      assert.equal(await page.locator('#node-1').isVisible(), false, 'printed: an opened panel does not cover the page');
    } finally {
      await context.close();
    }
  });
}

test('html story: a healthy run says so and draws nothing; a dual-homed node keeps a row per address', () => {
  const fleet = fleetReport();
  const healthy: Report = { ...fleet, nodes: fleet.nodes.filter((n) => n.name === 'healthy'), findings: [] };
  const html = renderHtml(healthy);
  assert.match(html, /All 1 node pass both ways\./);
  assert.doesNotMatch(html, /<svg/);
  const full = renderHtml(fleet);
  assert.match(full, /<tr class="addr-row"><th scope="row" class="addr">from 10\.0\.5\.2<\/th>/);
  assert.match(full, /<tr class="addr-row"><th scope="row" class="addr">from 10\.0\.4\.2<\/th>/);
  assert.match(full, /<th>profile<\/th><th>agent<\/th>/);
});
