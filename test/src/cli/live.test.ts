/**
 * `twoway run --live`: the live server on loopback, fed a fake run's progress events one by one. No
 * token, a wrong token or a foreign Host header: 403 and no page; read-only; bounded in browsers; gone
 * when the run ends. In Chromium the page fills in as nodes finish (failures first), seen both in the
 * page and in its screenshot.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { LIVE_MAX_CLIENTS, startLiveServer, type LiveServer } from '../../../src/cli/live.js';
import { parseLiveAddress } from '../../../src/cli/live-address.js';
import { launchChromium } from '../../helpers/chromium.js';
import { tempDir, twoway } from '../../helpers/cli.js';
import { countColour, decodePng } from '../../helpers/png.js';
import { report, simpleNode } from '../../helpers/report-builder.js';

const ID = '20250101T030000-abc123';

function get(url: string, opts: { method?: string; host?: string } = {}): Promise<{ status: number; body: string; csp?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.host === undefined ? {} : { host: opts.host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, csp: body.match(/Content-Security-Policy" content="([^"]+)"/)?.[1] }));
    });
    req.on('error', reject);
    req.end();
  });
}

function wsOpen(url: string): Promise<{ ws: WebSocket; first: Promise<string> } | { refused: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const first = new Promise<string>((r) => ws.once('message', (d) => r(String(d))));
    ws.once('open', () => resolve({ ws, first }));
    ws.once('unexpected-response', (_req, res) => resolve({ refused: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ refused: -1 }));
  });
}

async function withServer(t: { after: (fn: () => Promise<void>) => void }): Promise<LiveServer> {
  const live = await startLiveServer({ host: '127.0.0.1', port: 0 }, 'twoway run (live)');
  t.after(() => live.close());
  return live;
}

test('live: the address flag: loopback and a random port by default, ADDR:PORT otherwise, bad ones refused', () => {
  assert.deepEqual(parseLiveAddress(true), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseLiveAddress('[::1]:8080'), { host: '::1', port: 8080 });
  assert.deepEqual(parseLiveAddress(':9000'), { host: '127.0.0.1', port: 9000 });
  for (const bad of ['8080', 'localhost:80', '127.0.0.1:70000', '127.0.0.1:']) assert.throws(() => parseLiveAddress(bad), /ADDR:PORT/, bad);
});

test('live: no token, a wrong token or a foreign Host is 403 without the page; the token gets the page, read-only', async (t) => {
  const live = await withServer(t);
  const url = new URL(live.url);
  assert.equal(url.hostname, '127.0.0.1', 'loopback by default');
  const origin = `${url.protocol}//${url.host}`;
  for (const path of ['/', '/live/', '/live/wrongtoken', `${url.pathname.slice(0, -1)}X`]) {
    const r = await get(`${origin}${path}`);
    assert.equal(r.status, 403, path);
    assert.doesNotMatch(r.body, /<html|<script/, `${path}: no page`);
  }
  assert.equal((await get(live.url, { host: 'evil.example:80' })).status, 403, 'a foreign Host header (DNS rebinding)');
  const ok = await get(live.url);
  assert.equal(ok.status, 200);
  assert.match(ok.body, /<script nonce=/);
  assert.match(ok.csp ?? '', /default-src 'none'; script-src 'nonce-[^']+'; style-src 'unsafe-inline'; connect-src ws:\/\/127\.0\.0\.1:\d+/);
  assert.equal((await get(live.url, { method: 'POST' })).status, 405);
  const noToken = await wsOpen(`ws://${url.host}/live/nope/ws`);
  assert.deepEqual(noToken, { refused: 403 }, 'the WebSocket needs the token too');
});

test('live: a browser that sends anything is closed; browsers beyond the limit are refused; the server is gone after the run', async (t) => {
  const live = await withServer(t);
  const wsUrl = `${live.url.replace('http:', 'ws:')}/ws`;
  const talker = await wsOpen(wsUrl);
  assert.ok('ws' in talker);
  assert.match(await talker.first, /"type":"snapshot"/);
  const closed = new Promise<number>((r) => talker.ws.once('close', (code) => r(code)));
  talker.ws.send('hello');
  assert.equal(await closed, 1008, 'read-only');

  const clients: WebSocket[] = [];
  for (let i = 0; i < LIVE_MAX_CLIENTS; i++) {
    const c = await wsOpen(wsUrl);
    assert.ok('ws' in c, `client ${i}`);
    clients.push(c.ws);
  }
  assert.deepEqual(await wsOpen(wsUrl), { refused: 503 }, 'one browser too many');
  const ends = clients.map((c) => new Promise<void>((r) => c.once('close', () => r())));
  await live.finished(report(ID, []));
  await Promise.all(ends);
  await assert.rejects(get(live.url), /ECONNREFUSED/, 'gone when the run ends');
});

test('live: in Chromium the page fills in as nodes finish, failures first; screenshot shows the failure', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, 'twoway-live-');
  const live = await withServer(t);
  const context = await launchChromium(t);
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(live.url);
  await page.locator('#status').waitFor();
  live.started({ nodes: 3 });
  await page.locator('#count', { hasText: '0/3 nodes' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#rows tr').count(), 0);

  live.nodeFinished(simpleNode('healthy', '10.0.1.2'), 1, 3);
  await page.locator('#rows tr[data-node="healthy"]').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#failures li').count(), 0);
  assert.match(await page.locator('#count').innerText(), /^1\/3 nodes, 0 failed$/);

  const blocked = simpleNode('web1<b>', '10.0.20.2', 'blocked');
  live.nodeFinished(blocked, 2, 3);
  await page.locator('#failures > li[data-node="web1<b>"]').waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#failures > li').first().innerText(), /web1<b>.*blocked/s, 'the name is text, not markup');
  assert.equal(await page.locator('#rows tr').count(), 2);
  assert.deepEqual(await page.locator('#rows tr[data-node="web1<b>"] td').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-verdict'))), ['blocked', 'blocked', 'blocked', 'ok']);
  assert.ok((await page.locator('#failures').boundingBox())!.y < (await page.locator('#matrix').boundingBox())!.y, 'failures come before the matrix');

  const shot = join(dir, 'live.png');
  await page.screenshot({ path: shot });
  const box = (await page.locator('#failures > li span.v-blocked').boundingBox())!;
  assert.ok(countColour(decodePng(readFileSync(shot)), box, '#f29b9b') > 50, 'the failure is drawn in the fault colour, in the picture');

  live.nodeFinished(simpleNode('web2', '10.0.20.3', 'slow'), 3, 3);
  await page.locator('#rows tr[data-node="web2"]').waitFor({ timeout: 10_000 });
  await live.finished(report(ID, [blocked]));
  await page.locator('#status.finished').waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#status').innerText(), /run finished/);
  assert.deepEqual(await page.locator('#failures > li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-node'))), ['web1<b>', 'web2'], 'faults before warnings');
  const origin = new URL(live.url).host;
  assert.ok(requests.every((u) => u.includes(origin)), `the page loads nothing from elsewhere: ${requests.join(', ')}`);
});

test('live: twoway run --live with a bad address is bad input (exit 2) before anything starts', () => {
  const r = twoway(['run', '--node', '10.255.255.1', '--live', 'nowhere']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--live.*ADDR:PORT/);
});
