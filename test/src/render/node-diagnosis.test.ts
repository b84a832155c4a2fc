/**
 * What the operator reads when a node fails at the SSH or agent level: the terminal diagnosis says
 * why (the runtime problem, the invalid output line, the agent's fatal message, the last stderr
 * line), and --verbose prints each session's stderr. All of it came from the node, so it must reach
 * the terminal without escape sequences or control characters, and bounded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderDiagnoses } from '../../../src/render/terminal.js';
import { plainLine, plainTail } from '../../../src/render/plain-text.js';
import { verboseStderr } from '../../../src/cli/run-controller.js';
import type { SessionFailureEvidence } from '../../../src/evidence.js';
import { VERDICTS, type NodeKind } from '../../../src/verdicts.js';
import { callback, node, report } from '../../helpers/report-builder.js';

function diagnosis(kind: NodeKind, evidence: Omit<SessionFailureEvidence, 'kind'>): string[] {
  const n = { ...node('n1', ['10.0.0.2'], [callback('10.0.0.2', 63001, 'not-measured')], kind), nodeEvidence: { kind: 'session' as const, ...evidence } };
  return renderDiagnoses(report('20250101T000000-aaaaaa', [n]), { color: false }).split('\n');
}

test('diagnosis: agent-failed with invalid output names the reason, then the last stderr line, then the fix', () => {
  const lines = diagnosis('agent-failed', { exitCode: null, stderr: 'first\nlast words', invalidOutput: 'the agent wrote a line longer than 65536 bytes' });
  assert.deepEqual(lines.slice(1, 4), ['x n1  Agent failed: the agent wrote a line longer than 65536 bytes', '    stderr: last words', `    fix: ${VERDICTS['agent-failed'].hint}`]);
});

test('diagnosis: agent-failed with the agent\'s fatal message says what the agent reported', () => {
  const lines = diagnosis('agent-failed', { exitCode: 1, stderr: '', fatal: { t: 'fatal', message: 'cannot read the plan' } });
  assert.equal(lines[1], 'x n1  Agent failed: the agent reported: cannot read the plan');
  assert.ok(!lines.some((l) => l.startsWith('    stderr:')), 'no stderr line when there is none');
});

test('diagnosis: without a reason, the last stderr line is the detail (as for SSH failures)', () => {
  const lines = diagnosis('ssh-refused', { exitCode: 255, stderr: 'ssh: connect to host 10.0.0.2 port 22: Connection refused' });
  assert.equal(lines[1], 'x n1  SSH refused: ssh: connect to host 10.0.0.2 port 22: Connection refused');
});

test('diagnosis: escape sequences and control characters from the node are removed, and the text is bounded', () => {
  const hostile = `\x1b]0;owned\x07\x1b[2J\x1b[31mred\x1b[0m\u202eevil\r\x00 ${'z'.repeat(1000)}`;
  const lines = diagnosis('agent-failed', { exitCode: 1, stderr: hostile, fatal: { t: 'fatal', message: hostile } });
  const text = lines.join('\n');
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
  assert.match(lines[1]!, /^x n1  Agent failed: the agent reported: redevil z+\.\.\.$/);
  assert.ok(lines[1]!.length < 340, `${lines[1]!.length} characters`);
  assert.match(lines[2]!, /^ {4}stderr: redevil z+\.\.\.$/);
});

test('plain text: one line, bounded; the tail keeps the last non-empty lines', () => {
  assert.equal(plainLine('a\x1b[1;31mb\x1b[0mc\td', 10), 'abcd');
  assert.equal(plainLine('abcdefghijkl', 8), 'abcde...');
  assert.deepEqual(plainTail('1\n2\n\n3\n', 2, 10), ['2', '3']);
});

test('--verbose: each session\'s stderr, prefixed by the node name, plain and bounded; nothing for an empty one', () => {
  const stderr = Array.from({ length: 100 }, (_, i) => `line ${i}\x1b[K`).join('\n');
  const lines = verboseStderr('web-1', '10.0.0.2', stderr);
  assert.equal(lines[0], '  web-1: stderr of the SSH session to 10.0.0.2:');
  assert.equal(lines.length, 41, 'the last 40 lines');
  assert.equal(lines[1], '  web-1| line 60');
  assert.equal(lines.at(-1), '  web-1| line 99');
  assert.deepEqual(verboseStderr('web-1', '10.0.0.2', '\n'), []);
});
