/**
 * The HTML report in headless Chromium (Debian's, via playwright-core): it renders the matrix with
 * a cell per node and column holding every path, a failing cell opens its evidence and fixes, the
 * page fetches nothing but itself, and a screenshot is taken.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Report } from '../../../src/report.js';
import { escapeHtml, renderHtml } from '../../../src/render/html.js';
import { columnsOf, pathsIn } from '../../../src/render/labels.js';
import { checkHtmlReport } from '../../helpers/html-check.js';
import { fleetReport } from '../../fixtures/report/load.js';

test('html: report text is escaped, and the page has no script and no external reference', () => {
  const report = fleetReport();
  const html = renderHtml(report);
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.ok(html.includes('CN=Corp &lt;Inspect&gt; &amp; Co'));
  assert.ok(!html.includes('<Inspect>'));
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|src=|url\(|@import|https?:\/\/(?!10\.0\.0\.1:6300[12])/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test('html: in Chromium the matrix renders, a failing cell opens its evidence, nothing is fetched; screenshot', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-html-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const report: Report = fleetReport();
  const file = join(dir, 'report.html');
  writeFileSync(file, renderHtml(report));
  const shot = join(dir, 'report.png');
  const seen = await checkHtmlReport(file, report, t, shot);
  assert.deepEqual(seen.requests, [pathToFileURL(file).href], 'the page loads nothing but itself');
  const columns = columnsOf(report.nodes);
  assert.equal(seen.cells, report.nodes.reduce((a, n) => a + columns.filter((c) => pathsIn(n, c).length > 0).length, 0), 'a cell per node and column with paths');
  assert.match(seen.panelText, /"ledgerSawRequest": false|"largestPassingDownload"/, 'the evidence JSON');
  assert.ok(statSync(shot).size > 1000, 'the screenshot is a real PNG');
});
