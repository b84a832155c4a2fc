/**
 * The node level, table-driven: how SSH and the agent ended, and the node verdict it gives (its
 * paths then not measured). The table covers every node verdict kind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { judgeSession } from '../../../controller/diagnose/session.js';
import { NODE_KINDS } from '../../../src/verdicts.js';
import { AGENT, DONE, FACTS, OK_SESSION, classifyRows, evidence, type ClassifyRow, sshFailure } from '../../helpers/diagnose-input.js';

const ROWS: ClassifyRow[] = [
  { name: 'ssh connect timeout', input: sshFailure(255, 'ssh: connect to host 10.9.1.2 port 22: Connection timed out'), node: 'ssh-unreachable', http: 'not-measured' },
  { name: 'ssh no route', input: sshFailure(255, 'ssh: connect to host 10.9.1.2 port 22: No route to host'), node: 'ssh-unreachable' },
  { name: 'ssh refused', input: sshFailure(255, 'ssh: connect to host 10.9.1.2 port 22: Connection refused'), node: 'ssh-refused' },
  { name: 'ssh auth failed', input: sshFailure(255, 'root@10.9.1.2: Permission denied (publickey).'), node: 'ssh-auth-failed' },
  {
    name: 'host key changed',
    input: sshFailure(255, '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.'),
    node: 'ssh-hostkey-mismatch',
  },
  {
    name: 'host key unknown under strict checking',
    input: sshFailure(255, 'No ED25519 host key is known for 10.9.1.2 and you have requested strict checking.\nHost key verification failed.'),
    node: 'ssh-hostkey-unknown',
  },
  { name: 'no runtime on PATH', input: sshFailure(127, 'twoway: no agent runtime on PATH (looked for node, python3 >= 3.6)'), node: 'agent-no-runtime' },
  {
    name: 'a forced runtime the node lacks',
    input: sshFailure(1, 'twoway: no agent flavour chosen', { runtimeProblem: 'runtime "python" was asked for, but the node has no python3 >= 3.6 on the PATH of SSH sessions (found: curl)' }),
    node: 'agent-no-runtime',
    check: (r) => {
      assert.equal(r.nodeEvidence?.kind, 'session');
      assert.match(r.nodeEvidence?.kind === 'session' ? (r.nodeEvidence.runtimeProblem ?? '') : '', /runtime "python" was asked for/);
    },
  },
  {
    name: 'the SSH session broke after the agent started',
    input: evidence({}, { session: { ...OK_SESSION, exitCode: 255, stderr: 'Timeout, server 10.9.1.2 not responding.', stdoutBytes: 300 }, events: [AGENT, FACTS] }),
    node: 'ssh-session-lost',
    http: 'not-measured',
  },
  { name: 'agent wrote garbage', input: evidence({}, { session: { ...OK_SESSION, invalidOutput: 'not JSON' } }), node: 'agent-failed' },
  {
    name: 'agent started but never finished',
    input: evidence({}, { session: { ...OK_SESSION, exitCode: null, timedOut: true }, events: [AGENT, FACTS] }),
    node: 'agent-timeout',
    http: 'not-measured',
  },
];

classifyRows(ROWS);

test('session: the table covers every node verdict kind', () => {
  const seen = new Set(ROWS.map((row) => diagnoseNode(row.input).nodeVerdict));
  assert.deepEqual(NODE_KINDS.filter((k) => !seen.has(k)), []);
});

test('session: the verdict is judged once and passed on: diagnosis takes the one it is given', () => {
  const ok = evidence();
  assert.equal(ok.session?.verdict, undefined);
  // The same session said to have failed: the node is judged by that, not judged again.
  const report = diagnoseNode({ ...ok, session: { ...ok.session!, verdict: 'ssh-refused' } });
  assert.equal(report.nodeVerdict, 'ssh-refused');
  assert.equal(report.verdict, 'ssh-refused');
});

test('session: a failed node carries why, from the session and the agent\'s last word, as session evidence', () => {
  const events = [AGENT, { t: 'fatal' as const, message: 'plan rejected' }, DONE];
  const session = judgeSession({ ...OK_SESSION, exitCode: 1, stderr: 'a\nb\nc\nd\ne\nf\n', agent: { flavour: 'node', scriptBytes: 10 } }, events);
  assert.equal(session.verdict, 'agent-failed');
  const report = diagnoseNode({ ...evidence(), session, events });
  assert.deepEqual(report.nodeEvidence, {
    kind: 'session',
    exitCode: 1,
    stderr: 'b\nc\nd\ne\nf',
    timedOut: false,
    invalidOutput: undefined,
    fatal: { t: 'fatal', message: 'plan rejected' },
    flavour: 'node',
  });
});
