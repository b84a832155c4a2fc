/**
 * Issue 14 item 4, table-driven: the SSH session broke after N probe results (a node's link cut for
 * good mid-run). The N results keep their verdicts, the probes that never reported are not measured
 * with where the session broke, what the listener's ledger saw of those is kept as the controller's
 * own witness, and the node verdict is ssh-session-lost (a fault) with where it broke.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { describe } from '../../../controller/diagnose/wording.js';
import type { SessionEvidence } from '../../../controller/diagnose/inputs.js';
import type { UnfinishedFields } from '../../../src/evidence.js';
import type { ProbeResult } from '../../../src/protocol.js';
import { classCounts, type NodeReport, type PathReport } from '../../../src/report.js';
import { renderDiagnoses } from '../../../src/render/terminal.js';
import { isFault } from '../../../src/verdicts.js';
import { AGENT, FACTS, evidence, httpPath, httpsPath, ledgerFor, okResult, plan } from '../../helpers/diagnose-input.js';
import { sessionEvidenceOf } from '../../helpers/evidence.js';
import { report } from '../../helpers/report-builder.js';

/** ssh gave up after its keep-alives went unanswered, 19.4 s in; the agent's last line came 2.1 s in. */
const LOST: SessionEvidence = { exitCode: 255, stderr: 'Timeout, server 10.9.1.2 not responding.\n', timedOut: false, interrupted: false, ms: 19_400, stdoutBytes: 4000, lastEventMs: 2100 };

/** The order the agent reports in: holds (which sit quiet for their whole time) last. */
const REPORT_ORDER = [...plan.probes.filter((p) => p.kind !== 'hold'), ...plan.probes.filter((p) => p.kind === 'hold')];

/** The node whose session broke after the first `n` results, as the agent sent them; `results` replaces some of them. */
function brokeAfter(n: number, results: Partial<Record<string, Partial<ProbeResult>>> = {}, ledger = evidence().ledger): NodeReport {
  const arrived = REPORT_ORDER.slice(0, n).map((p) => ({ ...okResult(p.id), ...results[p.id] }) as ProbeResult);
  return diagnoseNode(evidence({}, { session: LOST, events: [AGENT, FACTS, ...arrived], ledger }));
}

const unfinishedOf = (p: PathReport): UnfinishedFields => {
  const e = p.evidence;
  return e.kind === 'forward' || e.kind === 'legacy' || e.kind === 'ftp-control' || e.kind === 'ftp-data' || e.kind === 'redfish' || e.kind === 'outage' ? {} : e;
};

/** The web callback paths' planned probes (alternate-port hellos are evidence for other paths, not paths of their own). */
const pathProbes = (proto: string): string[] => plan.probes.filter((p) => p.proto === proto && p.alternate !== true).map((p) => p.id);

const ROWS: { n: number; lastLine: string }[] = [
  { n: 0, lastLine: 'facts' },
  { n: 1, lastLine: `probe ${REPORT_ORDER[0]!.id}: ok` },
  { n: 5, lastLine: `probe ${REPORT_ORDER[4]!.id}: ok` },
  { n: pathProbes('http').length, lastLine: `probe ${REPORT_ORDER[pathProbes('http').length - 1]!.id}: ok` },
  { n: REPORT_ORDER.length - 2, lastLine: `probe ${REPORT_ORDER.at(-3)!.id}: ok` },
];

for (const { n, lastLine } of ROWS) {
  test(`session lost after ${n} of ${plan.probes.length} results: those ${n} kept, the rest not measured with where the session broke`, () => {
    const node = brokeAfter(n);
    assert.equal(node.nodeVerdict, 'ssh-session-lost');
    assert.equal(node.verdict, 'ssh-session-lost');
    assert.ok(isFault(node.verdict));
    assert.deepEqual(sessionEvidenceOf(node).lost, { results: n, planned: plan.probes.length, lastLine, lastLineMs: 2100, endedMs: 19_400 });
    const where = n === 0 ? 'before any probe result' : `after ${n} of ${plan.probes.length} probe results`;
    const why = `the SSH session broke ${where}; last line at 2.1 s (${lastLine}), ssh gave up at 19.4 s`;

    const arrived = new Set(REPORT_ORDER.slice(0, n).map((p) => p.id));
    for (const [proto, path] of [['http', httpPath(node)], ['https', httpsPath(node)]] as const) {
      const probes = pathProbes(proto);
      const missing = probes.filter((id) => !arrived.has(id));
      if (missing.length === probes.length) {
        assert.equal(path.verdict, 'not-measured', `${proto}: nothing arrived`);
        assert.equal(path.summary, `not measured: ${why}`);
        assert.deepEqual(path.evidence, { kind: 'not-run' });
      } else {
        assert.equal(path.verdict, 'ok', `${proto}: every result that arrived passed: ${path.summary}`);
        assert.deepEqual(unfinishedOf(path).notMeasured ?? [], missing);
        if (missing.length > 0) {
          assert.equal(unfinishedOf(path).notMeasuredWhy, why);
          const passed = plan.probes.filter((p) => arrived.has(p.id) && probes.includes(p.id)).map(describe);
          assert.ok(path.summary.startsWith(`${passed.join(', ')} passed; `), path.summary);
          assert.ok(path.summary.includes(`; ${missing.length} of ${probes.length} probes not measured (`), path.summary);
          assert.ok(path.summary.endsWith(`: ${why}`), path.summary);
        }
      }
    }
    // The forward probes ran beside the session and keep their own verdicts.
    assert.deepEqual(node.paths.filter((p) => p.direction === 'forward').map((p) => p.verdict), ['ok']);
  });
}

test('session lost: a failure among the results that arrived keeps its verdict; the summary counts it', () => {
  const node = brokeAfter(REPORT_ORDER.findIndex((p) => p.id === 'hello-https-0') + 1, { 'hello-https-0': { outcome: 'timeout', phase: 'connect', ms: 3000, seen: undefined } });
  const https = httpsPath(node);
  assert.equal(https.verdict, 'blocked');
  assert.match(https.summary, /^hello: connect timed out after 3000 ms; the listener saw nothing; \d+ of \d+ probes not measured \(idle hold, download of 1 KiB, .*\): the SSH session broke after \d+ of \d+ probe results; /);
  assert.equal(httpPath(node).verdict, 'ok');
  const counts = classCounts([node]);
  assert.equal(counts.faults, 2, 'the lost session and the blocked path');
  const text = renderDiagnoses(report('20250101T000000-aaaaaa', [node]), { color: false });
  assert.match(text, /^x n1 {2}SSH session lost: the SSH session broke after \d+ of \d+ probe results; last line at 2\.1 s \(probe hello-https-0: timeout\), ssh gave up at 19\.4 s$/m);
  assert.match(text, /^x n1 {2}Blocked: /m);
});

test('session lost: callbacks the listener saw are kept as its witness, also on a path the agent reported nothing for', () => {
  const n = pathProbes('http').length;
  // The agent's lines stop with the http path (its hold still open); the listener had seen the hold
  // open, the 64 KiB https download answered, and the https hello arrive before the cut.
  const hold = { ...ledgerFor('hold-http-0'), at: 40 };
  const download = { ...ledgerFor('dl-https-0-65536'), proto: 'https' as const, at: 70, bytesWritten: 65536 };
  const hello = { ...ledgerFor('hello-https-0'), proto: 'https' as const, at: 60, completed: false };
  const node = brokeAfter(n - 1, {}, [hold, download, hello]);
  const http = httpPath(node);
  assert.equal(http.verdict, 'ok');
  assert.deepEqual(unfinishedOf(http).notMeasured, ['hold-http-0']);
  assert.deepEqual(unfinishedOf(http).listenerSaw, [{ probe: 'hold-http-0', at: 40, completed: true, bytesWritten: 0, bytesReceived: 0 }]);
  assert.match(http.summary, /; 1 of \d+ probes not measured \(idle hold\): the SSH session broke .*; the listener saw idle hold \(answered\) arrive$/);

  const https = httpsPath(node);
  assert.equal(https.verdict, 'not-measured');
  assert.equal(https.evidence.kind, 'not-run');
  assert.deepEqual(unfinishedOf(https).listenerSaw, [
    { probe: 'hello-https-0', at: 60, completed: false, bytesWritten: 0, bytesReceived: 0 },
    { probe: 'dl-https-0-65536', at: 70, completed: true, bytesWritten: 65536, bytesReceived: 0 },
  ]);
  assert.deepEqual(unfinishedOf(https).notMeasured, pathProbes('https'));
  assert.match(https.summary, /^not measured: the SSH session broke .*; the listener saw hello \(answer unfinished\), download of 64 KiB \(answered\) arrive$/);
});

test('session lost: a session that ends with done is whole, whatever ssh said after', () => {
  const all = plan.probes.map((p) => okResult(p.id));
  const node = diagnoseNode(evidence({}, { session: LOST, events: [AGENT, FACTS, ...all, { t: 'done', ms: 900 }] }));
  assert.equal(node.nodeVerdict, undefined);
  assert.equal(node.verdict, 'ok');
});

test('an agent that failed mid-run keeps its results the same way; the rest are not measured with the node verdict as the reason', () => {
  const arrived = REPORT_ORDER.slice(0, 3).map((p) => okResult(p.id));
  const node = diagnoseNode(evidence({}, { session: { ...LOST, exitCode: 1, stderr: '' }, events: [AGENT, FACTS, ...arrived] }));
  assert.equal(node.nodeVerdict, 'agent-failed');
  assert.equal(sessionEvidenceOf(node).lost, undefined, 'only a lost session says where it broke');
  const http = httpPath(node);
  assert.equal(http.verdict, 'ok');
  assert.equal(unfinishedOf(http).notMeasuredWhy, 'the session ended before the agent finished (Agent failed)');
  assert.deepEqual(unfinishedOf(http).notMeasured, pathProbes('http').filter((id) => !arrived.some((r) => r.id === id)));
  assert.equal(httpsPath(node).summary, 'no agent results (Agent failed)');
});
