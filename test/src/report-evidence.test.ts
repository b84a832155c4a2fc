/** Evidence in reports read back: today's kinds kept as they are, older kind-less evidence mapped, bad evidence refused by field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../controller/diagnose/node.js';
import { InputError } from '../../src/errors.js';
import { renderDiagnoses } from '../../src/render/terminal.js';
import { parseReport } from '../../src/report-file.js';
import { AGENT, FACTS, evidence, okResult, sshFailure } from '../helpers/diagnose-input.js';
import { report } from '../helpers/report-builder.js';

const ID = '20250101T120000-abcdef';
const text = (doc: unknown): string => JSON.stringify(doc, null, 2);

/** A report as a twoway from before evidence carried a kind wrote it: the same, with every kind removed. */
function withoutKinds(doc: unknown): unknown {
  return JSON.parse(JSON.stringify(doc, (key, value: unknown) => (key === 'kind' ? undefined : value)));
}

test('report evidence: a report written now reads back exactly as it was', () => {
  const written = report(ID, [diagnoseNode(evidence({ 'hello-http-0': { outcome: 'timeout', phase: 'connect', ms: 3000 } })), diagnoseNode(sshFailure(255, 'ssh: connect to host 10.9.1.2 port 22: Connection refused'))]);
  assert.deepEqual(parseReport(text(written), 'r.json'), JSON.parse(text(written)));
});

test('report evidence: an older report\'s path evidence is kept under kind legacy; its node evidence of the session\'s shape is session evidence', () => {
  const written = report(ID, [diagnoseNode(evidence({ 'hello-http-0': { outcome: 'timeout', phase: 'connect', ms: 3000 } })), diagnoseNode(sshFailure(255, 'ssh: connect to host 10.9.1.2 port 22: Connection refused'))]);
  const read = parseReport(text(withoutKinds(written)), 'old.json');
  const blocked = read.nodes[0]!.paths[0]!;
  assert.equal(blocked.evidence.kind, 'legacy');
  const asWritten = parseReport(text(written), 'r.json');
  assert.deepEqual({ ...blocked.evidence, kind: 'probe' }, asWritten.nodes[0]!.paths[0]!.evidence, 'every field kept, only the kind is legacy');
  assert.deepEqual(read.nodes[1]!.nodeEvidence, asWritten.nodes[1]!.nodeEvidence);
  // The terminal still says why the node failed.
  assert.match(renderDiagnoses(read, { color: false }), /SSH refused: ssh: connect to host 10\.9\.1\.2 port 22: Connection refused/);
});

test('report evidence: older node evidence of another shape is legacy, shown in JSON only; missing path evidence is empty legacy evidence', () => {
  const written = report(ID, [diagnoseNode(sshFailure(255, 'ssh: connect to host 10.9.1.2 port 22: Connection refused'))]);
  const old = withoutKinds(written) as { nodes: { nodeEvidence: unknown; paths: { evidence?: unknown }[] }[] };
  old.nodes[0]!.nodeEvidence = { exitCode: 255, stderr: 'refused', reason: 'an older field' };
  delete old.nodes[0]!.paths[0]!.evidence;
  const read = parseReport(text(old), 'old.json');
  assert.deepEqual(read.nodes[0]!.nodeEvidence, { kind: 'legacy', exitCode: 255, stderr: 'refused', reason: 'an older field' });
  assert.deepEqual(read.nodes[0]!.paths[0]!.evidence, { kind: 'legacy' });
  assert.match(renderDiagnoses(read, { color: false }), /^x [^\n]+ {2}SSH refused\n {4}fix:/m, 'no detail from evidence it cannot read');
});

test('report evidence: an unknown kind, wrongly typed session evidence or evidence that is no object is an input error at its field', () => {
  const good = report(ID, [diagnoseNode(sshFailure(255, 'refused'))]);
  const node = good.nodes[0]!;
  const cases: [string, unknown, string, RegExp][] = [
    ['unknown path kind', { ...good, nodes: [{ ...node, paths: [{ ...node.paths[0]!, evidence: { kind: 'quantum' } }] }] }, 'nodes[0].paths[0].evidence.kind', /expected an evidence kind \(probe, .*legacy\), found "quantum"/],
    ['path evidence a string', { ...good, nodes: [{ ...node, paths: [{ ...node.paths[0]!, evidence: 'timeout' }] }] }, 'nodes[0].paths[0].evidence', /expected an object, found "timeout"/],
    ['session stderr a number', { ...good, nodes: [{ ...node, nodeEvidence: { ...node.nodeEvidence, stderr: 5 } }] }, 'nodes[0].nodeEvidence.stderr', /expected a string, found 5/],
    ['unknown node kind', { ...good, nodes: [{ ...node, nodeEvidence: { kind: 'probe' } }] }, 'nodes[0].nodeEvidence.kind', /expected a node evidence kind \(session, legacy\), found "probe"/],
  ];
  for (const [name, doc, field, message] of cases) {
    assert.throws(() => parseReport(text(doc), 'r.json'), (err: unknown) => err instanceof InputError && err.field === field && message.test(err.message), name);
  }
});

test('report evidence: a lost session\'s node evidence reads back as written, says where it broke, and is refused when malformed', () => {
  const lost = { exitCode: 255, stderr: 'Timeout, server 10.9.1.2 not responding.', timedOut: false, interrupted: false, ms: 19_400, stdoutBytes: 900, lastEventMs: 2100 };
  const written = report(ID, [diagnoseNode(evidence({}, { session: lost, events: [AGENT, FACTS, okResult('hello-http-0')] }))]);
  assert.equal(written.nodes[0]!.nodeVerdict, 'ssh-session-lost');
  const read = parseReport(text(written), 'r.json');
  assert.deepEqual(read, JSON.parse(text(written)));
  assert.match(renderDiagnoses(read, { color: false }), /SSH session lost: the SSH session broke after 1 of \d+ probe results; last line at 2\.1 s \(probe hello-http-0: ok\), ssh gave up at 19\.4 s/);
  const node = written.nodes[0]!;
  const bad = { ...written, nodes: [{ ...node, nodeEvidence: { ...node.nodeEvidence, lost: { results: 'one', planned: 18, endedMs: 5 } } }] };
  assert.throws(
    () => parseReport(text(bad), 'r.json'),
    (err: unknown) => err instanceof InputError && err.field === 'nodes[0].nodeEvidence.lost' && /expected where the session broke/.test(err.message),
  );
});
