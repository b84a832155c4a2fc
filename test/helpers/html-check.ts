/**
 * Opens an HTML report in Chromium and checks what an operator would: one row per node, a cell
 * for each node x column holding all of that node's paths, a failing cell that opens a panel with
 * its evidence and the node's fixes. Returns what it saw for the test's own assertions.
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import type { Report } from '../../src/report.js';
import { isFailure } from '../../src/verdicts.js';
import { launchChromium } from './chromium.js';

export interface HtmlSeen {
  requests: string[];
  cells: number;
  panelText: string;
}

/** `t`: the test, whose end closes the browser and removes its profile (test/helpers/chromium.ts). */
export async function checkHtmlReport(file: string, report: Report, t: { after(fn: () => Promise<void>): void }, screenshot: string): Promise<HtmlSeen> {
  const context = await launchChromium(t);
  try {
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);

    assert.deepEqual(await page.locator('#matrix tbody tr.node-row th').allTextContents(), report.nodes.map((n) => n.name));
    const cells = page.locator('#matrix td.cell');
    const perCell = (await cells.evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-paths'))))) as number[];
    assert.equal(
      perCell.reduce((a, b) => a + b, 0),
      report.nodes.reduce((a, n) => a + n.paths.length, 0),
      'every path is in a cell',
    );

    // A failing cell of a node with fixes: its panel shows its evidence and the node's fixes.
    const node = report.nodes.findIndex((n) => n.remedies !== undefined && n.paths.some((p) => isFailure(p.verdict)));
    assert.ok(node >= 0, 'the report has a failing node with fixes');
    const row = page.locator('#matrix tbody tr.node-row').nth(node);
    const failing = row.locator('td.cell').filter({ hasNotText: /^ok$/ }).first();
    const panelId = ((await failing.locator('a').getAttribute('href')) ?? '').slice(1);
    const panel = page.locator(`[id="${panelId}"]`);
    assert.equal(await panel.isVisible(), false, 'panels are closed until asked for');
    await failing.locator('a').click();
    await panel.waitFor({ state: 'visible', timeout: 10_000 });
    const panelText = await panel.innerText();
    const n = report.nodes[node]!;
    assert.ok(panelText.includes(n.name));
    assert.ok(panelText.includes(n.remedies![0]!.lines[0]!), 'the node\'s fix is in the panel');
    assert.ok(await panel.locator('pre.evidence').first().isVisible(), 'the evidence JSON is shown');
    await page.screenshot({ path: screenshot, fullPage: false });
    return { requests, cells: await cells.count(), panelText };
  } finally {
    await context.close();
  }
}
