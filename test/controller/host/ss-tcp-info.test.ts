/** The ss -tin parser (controller/host/ss-tcp-info.ts) on output recorded in the lab (test/fixtures/ss/tin-lab.txt), and the per-path summary. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parseSsEndpoint, parseSsTcpInfo } from '../../../controller/host/ss-tcp-info.js';
import { summarizePath } from '../../../controller/host/tcp-info-sampler.js';

const FIXTURE = fileURLToPath(new URL('../../../../test/fixtures/ss/tin-lab.txt', import.meta.url));

test('parseSsTcpInfo: every connection of a recorded sample, with its TCP_INFO figures', () => {
  const entries = parseSsTcpInfo(readFileSync(FIXTURE, 'utf8'));
  assert.deepEqual(entries.map((e) => `${e.local.address}:${e.local.port} ${e.remote.address}:${e.remote.port}`), [
    '10.231.0.1:63001 10.231.8.2:40416',
    '10.231.0.1:63001 10.231.8.2:40406',
    '10.231.0.1:63001 10.231.8.2:40450',
    '10.231.0.1:63001 10.231.27.2:45390',
  ]);
  const [slowDownload, , slowUpload, lossy] = entries;
  // "rtt:119.123/1.469 ... bytes_retrans:17376 bytes_acked:86880 ... data_segs_out:95 ... retrans:0/12 lost:..."
  assert.equal(slowDownload?.rttMs, 119.123);
  assert.equal(slowDownload?.dataSegsOut, 95);
  assert.equal(slowDownload?.bytesRetrans, 17376);
  assert.equal(slowDownload?.bytesAcked, 86880);
  assert.ok((slowDownload?.retransTotal ?? 0) > 0, 'the slow link lost segments');
  assert.equal(slowUpload?.dataSegsOut, undefined, 'a connection that only received data has no data_segs_out');
  assert.ok((slowUpload?.bytesReceived ?? 0) > 0);
  // The lossy node's delay line: 20 ms each way.
  assert.ok((lossy?.minRttMs ?? 0) >= 38 && (lossy?.minRttMs ?? 0) < 50, String(lossy?.minRttMs));
  assert.equal(lossy?.retransTotal, undefined, 'no retrans: field printed, none counted');
});

test('parseSsTcpInfo: a State column, IPv6 and mapped addresses, and lines that are not sockets', () => {
  const text = [
    'ESTAB 0 0 [::ffff:10.0.0.1]:63001 [::ffff:10.0.0.2]:5000',
    '\t cubic rtt:1.5/0.7 minrtt:1.2 retrans:0/3 data_segs_out:100',
    '0 0 [fe80::1%eth0]:63002 [fe80::2%eth0]:6000',
    '\t rtt:2/1',
    'garbage',
    '\t orphan info line',
  ].join('\n');
  const entries = parseSsTcpInfo(text);
  assert.deepEqual(entries[0], { local: { address: '10.0.0.1', port: 63001 }, remote: { address: '10.0.0.2', port: 5000 }, rttMs: 1.5, minRttMs: 1.2, retransTotal: 3, dataSegsOut: 100 });
  assert.deepEqual(entries[1], { local: { address: 'fe80::1', port: 63002 }, remote: { address: 'fe80::2', port: 6000 }, rttMs: 2 });
  assert.equal(entries.length, 2);
  assert.equal(parseSsEndpoint('*:*'), undefined);
});

test('summarizePath: connections summed, the smallest minimum round trip, the median smoothed one', () => {
  const entries = parseSsTcpInfo(readFileSync(FIXTURE, 'utf8')).filter((e) => e.remote.address === '10.231.8.2');
  const s = summarizePath(entries);
  assert.equal(s?.connections, 3);
  assert.equal(s?.dataSegsOut, entries.reduce((n, e) => n + (e.dataSegsOut ?? 0), 0));
  assert.equal(s?.retransSegs, entries.reduce((n, e) => n + (e.retransTotal ?? 0), 0));
  assert.equal(s?.minRttMs, Math.round(Math.min(...entries.map((e) => e.minRttMs ?? Infinity)) * 100) / 100);
  assert.equal(summarizePath([]), undefined);
});
