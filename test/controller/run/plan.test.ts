/** The plan each node's agent gets: its probe ladder per callback address and source, holds, alternates, FTP. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPlan, DEFAULT_DEADLINES, FTP_FILE_SIZE } from '../../../controller/run/plan.js';
import { CONTROLLER, DIGESTS, FTP_DIGESTS, FTP_SETTINGS, SETTINGS, ftpPlan, httpProbes, plan } from '../../helpers/diagnose-input.js';

test('plan: the http ladder has hello, downloads and uploads per size, status and the alternate hello; holds first', () => {
  assert.deepEqual(
    httpProbes.map((p) => p.id),
    ['hold-http-0', 'hello-http-0', 'dl-http-0-1024', 'dl-http-0-65536', 'dl-http-0-1048576', 'ul-http-0-1024', 'ul-http-0-65536', 'ul-http-0-1048576', 'status-http-0', 'alt-http-0'],
  );
  assert.equal(plan.probes.find((p) => p.id === 'alt-http-0')?.port, 80);
  assert.equal(plan.concurrency, 4 + 2, 'each hold gets a slot of its own');
  assert.ok(plan.deadlines.totalMs >= SETTINGS.holdMs + DEFAULT_DEADLINES.connectMs + DEFAULT_DEADLINES.stallMs);
});

test('plan: a dual-homed node calls back from each of its addresses; no hold or alternates when off', () => {
  const dual = buildPlan({ node: 'd', token: 't', callbackAddresses: [CONTROLLER], sources: ['10.9.4.2', '10.9.5.2'] }, DIGESTS, {
    ...SETTINGS,
    holdMs: 0,
    alternates: {},
  });
  const hellos = dual.probes.filter((p) => p.kind === 'hello');
  assert.deepEqual(
    hellos.map((p) => [p.id, p.source]),
    [
      ['hello-http-0-s0', '10.9.4.2'],
      ['hello-https-0-s0', '10.9.4.2'],
      ['hello-http-0-s1', '10.9.5.2'],
      ['hello-https-0-s1', '10.9.5.2'],
    ],
  );
  assert.equal(dual.probes.some((p) => p.kind === 'hold' || p.alternate === true), false);
  assert.equal(dual.deadlines.totalMs, DEFAULT_DEADLINES.totalMs);
});

test('plan: one ftp probe per callback address, only for nodes with ftp and a run with an FTP listener', () => {
  const probe = ftpPlan.probes.filter((p) => p.kind === 'ftp');
  assert.deepEqual(probe, [{ id: 'ftp-0', kind: 'ftp', proto: 'ftp', address: CONTROLLER, port: 21, dataPorts: { first: 63006, last: 63010 }, size: FTP_FILE_SIZE, sha256: `sha-${FTP_FILE_SIZE}` }]);
  const without = buildPlan({ node: 'n', token: 't', callbackAddresses: [CONTROLLER], sources: [] }, FTP_DIGESTS, FTP_SETTINGS);
  assert.equal(without.probes.some((p) => p.kind === 'ftp'), false);
  const noListener = buildPlan({ node: 'n', token: 't', callbackAddresses: [CONTROLLER], sources: [], ftp: true }, FTP_DIGESTS, { ...FTP_SETTINGS, ftp: undefined });
  assert.equal(noListener.probes.some((p) => p.kind === 'ftp'), false);
});
