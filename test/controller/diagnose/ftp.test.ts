/** FTP in classification: a control path and a data path per probe, each with its own typed evidence. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeEvidence } from '../../../controller/diagnose/inputs.js';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import type { NodeReport, PathReport } from '../../../src/report.js';
import { DATA_BLOCKED, NODE_ADDR, ftpEvidence, ftpLedger, synSeen } from '../../helpers/diagnose-input.js';
import { evidenceOf } from '../../helpers/evidence.js';

function ftpPaths(input: NodeEvidence): { control: PathReport; data: PathReport; node: NodeReport } {
  const node = diagnoseNode(input);
  const control = node.paths.find((p) => p.proto === 'ftp');
  const data = node.paths.find((p) => p.proto === 'ftp-data');
  assert.ok(control && data, 'an ftp and an ftp-data path');
  return { control, data, node };
}

test('classify ftp: all passed: control and data ok, the data path on the port PASV offered', () => {
  const { control, data, node } = ftpPaths(ftpEvidence({}));
  assert.equal(node.verdict, 'ok');
  assert.deepEqual([control.port, control.verdict, data.port, data.verdict], [21, 'ok', 63007, 'ok']);
  assert.match(data.summary, /FTP data to passive port 63007: 1 MiB passed/);
  assert.equal(evidenceOf(control, 'ftp-control').controlPort, 21);
  assert.ok(evidenceOf(data, 'ftp-data').throughputMbps !== undefined);
});

test('classify ftp: control passes, the data connection times out and the listener saw nothing: data blocked, with the range', () => {
  const { control, data, node } = ftpPaths(ftpEvidence(DATA_BLOCKED, { ledger: [ftpLedger()] }));
  assert.equal(control.verdict, 'ok');
  assert.equal(data.verdict, 'blocked');
  assert.equal(data.port, 63007);
  assert.equal(node.verdict, 'blocked');
  assert.match(data.summary, /connect timed out and the listener saw nothing, while control on port 21 works: a firewall passes 21 but not the passive range 63006-63010/);
  const e = evidenceOf(data, 'ftp-data');
  assert.equal(e.listenerPasvPort, 63007);
  assert.equal(e.listenerDataPeer, undefined);
  assert.equal(e.dataPorts, '63006-63010');
});

test('classify ftp: the data SYN reached the controller (SYN_RECV on the passive port): its answer is lost', () => {
  const { control, data } = ftpPaths(ftpEvidence(DATA_BLOCKED, { ledger: [ftpLedger()], controllerHalfOpen: synSeen(NODE_ADDR, 63007) }));
  assert.equal(control.verdict, 'ok');
  assert.equal(data.verdict, 'return-path-lost');
  assert.match(data.summary, /the controller got the SYN from 10\.9\.1\.2 \(SYN_RECV\)/);
  assert.equal(evidenceOf(data, 'ftp-data').controllerHalfOpen?.port, 63007);
});

test('classify ftp: the passive port refuses: data rejected', () => {
  const { data } = ftpPaths(ftpEvidence({ ...DATA_BLOCKED, outcome: 'refused' }, { ledger: [ftpLedger()] }));
  assert.equal(data.verdict, 'rejected');
  assert.match(data.summary, /connection refused \(control on port 21 works\)/);
});

test('classify ftp: the control connection times out: control blocked, data not measured', () => {
  const { control, data, node } = ftpPaths(
    ftpEvidence({ outcome: 'timeout', phase: 'connect', ms: 3000, bytes: undefined, ftp: { controlOk: false, loginOk: false, dataConnected: false } }, { ledger: [] }),
  );
  assert.equal(control.verdict, 'blocked');
  assert.match(control.summary, /^FTP control \(port 21\): connect timed out/);
  const e = evidenceOf(control, 'ftp-control');
  assert.deepEqual([e.controlOk, e.ledgerSawRequest, e.ledgerSawLogin], [false, false, false], 'the probe judgement joins the FTP fields');
  assert.equal(data.verdict, 'not-measured');
  assert.equal(data.port, 63006, 'no port offered: the range\'s first');
  assert.equal(node.verdict, 'blocked');
});

test('classify ftp: a refused login is the control path rejected', () => {
  const { control, data } = ftpPaths(
    ftpEvidence({ outcome: 'ftp-error', phase: 'request', bytes: undefined, ftp: { controlOk: true, loginOk: false, dataConnected: false, reply: '530 login incorrect' } }, { ledger: [] }),
  );
  assert.equal(control.verdict, 'rejected');
  assert.match(control.summary, /login refused \(530 login incorrect\)/);
  assert.equal(data.verdict, 'not-measured');
});

test('classify ftp: the file stops on the data connection: data stalled at its offset, control ok', () => {
  const { control, data } = ftpPaths(ftpEvidence({ outcome: 'stalled', phase: 'body', bytes: 1448, error: { code: 'TWOWAY_STALL', message: 'x' } }));
  assert.equal(control.verdict, 'ok');
  assert.equal(data.verdict, 'stalled');
  assert.match(data.summary, /^FTP data to passive port 63007: stalled at byte 1448/);
  assert.equal(evidenceOf(data, 'ftp-data').stallAt, 1448);
});

test('classify ftp: the agent cannot do FTP: control judged as a probe, data not measured with the reason', () => {
  const { control, data } = ftpPaths(ftpEvidence({ outcome: 'unsupported', phase: 'connect', bytes: undefined, ftp: undefined, error: { code: 'TWOWAY_UNSUPPORTED', message: 'no FTP in this flavour' } }));
  assert.equal(control.verdict, 'not-measured');
  assert.equal(evidenceOf(control, 'probe').unsupported, true);
  assert.equal(data.summary, 'FTP data (passive 63006-63010): not measured: no FTP in this flavour');
});
