/**
 * The session reader (controller/ssh/session.ts, controller/ssh/bounded-lines.ts) and the node-level verdict
 * (classifySession). The reader runs a real child process standing in for ssh (`node -e`), so the
 * bytes arrive through a pipe in whatever chunks the kernel makes: bounds are counted in bytes,
 * lines split at \n in the bytes and decoded after, and the first bad line or passed bound ends the
 * reading and the session.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedLines } from '../../../controller/ssh/bounded-lines.js';
import type { SessionEvidence } from '../../../controller/diagnose/inputs.js';
import { classifySession } from '../../../controller/diagnose/session.js';
import { runAgentProcess, type SessionInput, type SshSession } from '../../../controller/ssh/session.js';
import { MAX_AGENT_LINE_BYTES, MAX_AGENT_OUTPUT_BYTES, type AgentEvent } from '../../../src/protocol.js';
import type { NodeKind } from '../../../src/verdicts.js';

const HELLO = JSON.stringify({ t: 'agent', flavour: 'node', version: '1', runtime: 'v20', platform: 'linux' });
const DONE = JSON.stringify({ t: 'done', ms: 1 });

// ---------------------------------------------------------------------------------------------
// The splitter on its own.

test('bounded lines: a character split between two reads is decoded whole', () => {
  const lines = new BoundedLines(100, 1000);
  const bytes = Buffer.from('{"h":"nœud"}\nrest', 'utf8');
  const cut = bytes.indexOf(Buffer.from('œ')) + 1;
  assert.deepEqual(lines.push(bytes.subarray(0, cut)), []);
  assert.deepEqual(lines.push(bytes.subarray(cut)), ['{"h":"nœud"}']);
  assert.equal(lines.end(), 'rest');
  assert.equal(lines.problem, undefined);
});

test('bounded lines: a line is bounded in bytes, not characters, also when it arrives in pieces', () => {
  // 30 two-byte characters: 60 bytes, 30 UTF-16 units, against a bound of 50.
  const lines = new BoundedLines(50, 1000);
  assert.deepEqual(lines.push(Buffer.from('ok\n', 'utf8')), ['ok']);
  assert.deepEqual(lines.push(Buffer.from('é'.repeat(20), 'utf8')), []);
  assert.deepEqual(lines.push(Buffer.from(`${'é'.repeat(10)}\nnext\n`, 'utf8')), []);
  assert.equal(lines.problem, 'the agent wrote a line longer than 50 bytes');
  assert.deepEqual(lines.push(Buffer.from('after\n')), [], 'nothing is read after a bound is passed');
  assert.equal(lines.end(), undefined);
});

test('bounded lines: the total is bounded in bytes; the lines before the bound in earlier reads were given', () => {
  const lines = new BoundedLines(100, 10);
  assert.deepEqual(lines.push(Buffer.from('ab\ncd\n')), ['ab', 'cd']);
  assert.deepEqual(lines.push(Buffer.from('ef\n')), ['ef']);
  assert.deepEqual(lines.push(Buffer.from('g\n')), []);
  assert.equal(lines.problem, 'the agent wrote more than 10 bytes in all');
});

// ---------------------------------------------------------------------------------------------
// A real child process as the session.

/** Runs `script` under node as the session's remote side; everything it would run is bounded by its own timer too. */
function session(script: string, input: SessionInput = '', deadlineMs = 20_000): Promise<{ session: SshSession; seen: AgentEvent[] }> {
  const seen: AgentEvent[] = [];
  // The child ends itself after 25 s whatever happens, so no test can leave it behind.
  const guarded = `setTimeout(() => process.exit(3), 25000).unref();\n${script}`;
  return runAgentProcess(process.execPath, ['-e', guarded], input, deadlineMs, undefined, (e) => seen.push(e)).then((s) => ({ session: s, seen }));
}

/** The child keeps writing valid lines after its bad output, for up to 20 s: only our stop ends it early. */
const KEEP_WRITING = `const more = setInterval(() => process.stdout.write(${JSON.stringify(`${DONE}\n`)}), 20); setTimeout(() => clearInterval(more), 20000);`;

test('session: a line over the bound in bytes (fewer characters than the bound) stops the reading and the agent -> agent-failed', async () => {
  const long = JSON.stringify({ t: 'fatal', message: 'é'.repeat(Math.ceil(MAX_AGENT_LINE_BYTES / 2) + 10) });
  assert.ok(long.length < MAX_AGENT_LINE_BYTES && Buffer.byteLength(long) > MAX_AGENT_LINE_BYTES);
  const { session: s, seen } = await session(`process.stdout.write(${JSON.stringify(`${HELLO}\n${long}\n`)}); ${KEEP_WRITING}`);
  assert.equal(s.invalidOutput, `the agent wrote a line longer than ${MAX_AGENT_LINE_BYTES} bytes`);
  assert.deepEqual(s.events.map((e) => e.t), ['agent'], 'nothing after the long line is taken');
  assert.deepEqual(seen.map((e) => e.t), ['agent']);
  assert.equal(s.signal, 'SIGTERM', 'the session was ended by us');
  assert.equal(s.timedOut, false);
  assert.equal(classifySession(s, s.events), 'agent-failed');
});

test('session: a flood of valid lines stops at the total bound in bytes -> agent-failed', async () => {
  const line = `${JSON.stringify({ t: 'facts', hostname: 'ü'.repeat(100), addresses: [], routes: [] })}\n`;
  // Up to twice the bound, written as fast as the pipe takes it.
  const { session: s } = await session(`
    const chunk = ${JSON.stringify(line)}.repeat(200);
    let left = ${2 * MAX_AGENT_OUTPUT_BYTES};
    const write = () => { while (left > 0) { left -= Buffer.byteLength(chunk); if (!process.stdout.write(chunk)) return process.stdout.once('drain', write); } };
    write();`);
  assert.equal(s.invalidOutput, `the agent wrote more than ${MAX_AGENT_OUTPUT_BYTES} bytes in all`);
  const lineBytes = Buffer.byteLength(line);
  assert.ok(s.events.length * lineBytes <= MAX_AGENT_OUTPUT_BYTES, `${s.events.length} events read`);
  assert.ok(s.events.length > 0);
  // Reading stopped at the chunk that passed the bound: far less than the child meant to write.
  assert.ok(s.stdoutBytes > MAX_AGENT_OUTPUT_BYTES && s.stdoutBytes < MAX_AGENT_OUTPUT_BYTES + 1024 * 1024, `${s.stdoutBytes} bytes read`);
  assert.notEqual(s.exitCode, 0);
  assert.equal(classifySession(s, s.events), 'agent-failed');
});

test('session: an invalid event stops the reading, with the reason and the line -> agent-failed', async () => {
  const { session: s } = await session(`process.stdout.write(${JSON.stringify(`${HELLO}\n{"t":"probe","id":"x"}\n`)}); ${KEEP_WRITING}`);
  assert.match(s.invalidOutput ?? '', /^the agent wrote an invalid line \(field "outcome": expected one of .*\): "\{\\"t\\":\\"probe\\",\\"id\\":\\"x\\"\}"$/);
  assert.deepEqual(s.events.map((e) => e.t), ['agent']);
  assert.equal(classifySession(s, s.events), 'agent-failed');
});

test('session: a character split across two writes arrives whole; a complete run is no node-level fault', async () => {
  const facts = Buffer.from(`${JSON.stringify({ t: 'facts', hostname: 'nœud', addresses: [], routes: [] })}\n`, 'utf8');
  const cut = facts.indexOf(Buffer.from('œ')) + 1;
  const { session: s } = await session(`
    process.stdout.write(${JSON.stringify(`${HELLO}\n`)});
    process.stdout.write(Buffer.from(${JSON.stringify(facts.subarray(0, cut).toString('base64'))}, 'base64'));
    setTimeout(() => {
      process.stdout.write(Buffer.from(${JSON.stringify(facts.subarray(cut).toString('base64'))}, 'base64'));
      process.stdout.write(${JSON.stringify(DONE)});
    }, 100);`);
  assert.equal(s.invalidOutput, undefined);
  const got = s.events.find((e) => e.t === 'facts');
  assert.equal(got?.t === 'facts' && got.hostname, 'nœud');
  assert.deepEqual(s.events.map((e) => e.t), ['agent', 'facts', 'done'], 'the last line, without a newline, is read at the end');
  assert.equal(s.exitCode, 0);
  assert.equal(classifySession(s, s.events), undefined);
});

test('session: SSH up (the first line came back and was answered) but no hello before the deadline -> agent-timeout', async () => {
  let firstLine = '';
  const input = (line: string): string => {
    firstLine = line;
    return 'node\n';
  };
  // The stand-in prints its runtime line, reads the answer, then hangs without a word.
  // The deadline leaves the stand-in (a whole Node start) time to print its line even under load.
  const { session: s } = await session(`process.stdout.write('{"t":"runtimes"}\\n'); process.stdin.resume(); setInterval(() => undefined, 1000);`, input, 8000);
  assert.equal(firstLine, '{"t":"runtimes"}');
  assert.equal(s.timedOut, true);
  assert.deepEqual(s.events, []);
  assert.ok(s.stdoutBytes > 0);
  assert.equal(classifySession(s, s.events), 'agent-timeout');
  // The same session with nothing ever read is still SSH's fault.
  assert.equal(classifySession({ ...s, stdoutBytes: 0 }, []), 'ssh-unreachable');
});

test('session: the time of the last agent event is kept, so a session that broke says where it stood', async () => {
  // The stand-in says hello, then its connection "breaks": ssh's words on stderr and its status 255.
  const { session: s } = await session(`process.stdout.write(${JSON.stringify(`${HELLO}\n`)}); setTimeout(() => { process.stderr.write('Timeout, server 10.0.0.2 not responding.\\n'); process.exit(255); }, 200);`);
  assert.deepEqual(s.events.map((e) => e.t), ['agent']);
  assert.equal(s.exitCode, 255);
  assert.ok(s.lastEventMs !== undefined && s.lastEventMs <= s.ms, `last event at ${s.lastEventMs} ms of ${s.ms}`);
  assert.equal(classifySession(s, s.events), 'ssh-session-lost');
});

// ---------------------------------------------------------------------------------------------
// classifySession as a table.

const BASE: SessionEvidence = { exitCode: 0, stderr: '', timedOut: false, interrupted: false, ms: 10, stdoutBytes: 500 };
const AGENT: AgentEvent = JSON.parse(HELLO) as AgentEvent;
const END: AgentEvent = { t: 'done', ms: 5 };
const TIMED_OUT: Partial<SessionEvidence> = { exitCode: null, timedOut: true };

const ROWS: [string, Partial<SessionEvidence>, AgentEvent[], NodeKind | undefined][] = [
  ['hello and done', {}, [AGENT, END], undefined],
  ['deadline, nothing read, nothing on stderr', { ...TIMED_OUT, stdoutBytes: 0 }, [], 'ssh-unreachable'],
  ['deadline, stdout field absent (older evidence), nothing on stderr', { ...TIMED_OUT, stdoutBytes: undefined }, [], 'ssh-unreachable'],
  ['deadline, the runtime line came back but no hello', { ...TIMED_OUT, stdoutBytes: 120 }, [], 'agent-timeout'],
  ['deadline, stderr shows authentication passed (LogLevel VERBOSE)', { ...TIMED_OUT, stdoutBytes: 0, stderr: 'Authenticated to 10.0.0.2 ([10.0.0.2]:22) using "publickey".' }, [], 'agent-timeout'],
  ['deadline, the detection snippet wrote to stderr', { ...TIMED_OUT, stdoutBytes: 0, stderr: 'twoway: no agent flavour chosen' }, [], 'agent-timeout'],
  ['deadline after the hello', { ...TIMED_OUT }, [AGENT], 'agent-timeout'],
  ['deadline after done (the agent finished; ssh lingered)', { ...TIMED_OUT }, [AGENT, END], undefined],
  ['ssh exit 255, refused', { exitCode: 255, stdoutBytes: 0, stderr: 'ssh: connect to host 10.0.0.2 port 22: Connection refused' }, [], 'ssh-refused'],
  ['ssh exit 255, auth', { exitCode: 255, stdoutBytes: 0, stderr: 'root@10.0.0.2: Permission denied (publickey).' }, [], 'ssh-auth-failed'],
  ['ssh exit 255, host key changed', { exitCode: 255, stdoutBytes: 0, stderr: 'WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!' }, [], 'ssh-hostkey-mismatch'],
  ['ssh exit 255, connect timeout', { exitCode: 255, stdoutBytes: 0, stderr: 'ssh: connect to host 10.0.0.2 port 22: Connection timed out' }, [], 'ssh-unreachable'],
  ['no runtime (snippet exit 127)', { exitCode: 127, stdoutBytes: 0 }, [], 'agent-no-runtime'],
  ['a forced runtime the node lacks', { exitCode: 1, runtimeProblem: 'runtime "node" was asked for, but node on the PATH of SSH sessions is v10.24.1' }, [], 'agent-no-runtime'],
  ['invalid output', { invalidOutput: 'the agent wrote a line longer than 65536 bytes' }, [AGENT], 'agent-failed'],
  ['the agent reported fatal', { exitCode: 1 }, [AGENT, { t: 'fatal', message: 'boom' }], 'agent-failed'],
  ['exit 0 without done', {}, [AGENT], 'agent-failed'],
  ['interrupted', { exitCode: null, interrupted: true }, [AGENT], undefined],
  ['ssh exit 255 after the hello, keep-alives unanswered', { exitCode: 255, stderr: 'Timeout, server 10.0.0.2 not responding.' }, [AGENT], 'ssh-session-lost'],
  ['ssh exit 255 after the hello, closed by the node', { exitCode: 255, stderr: 'Connection to 10.0.0.2 closed by remote host.' }, [AGENT], 'ssh-session-lost'],
  ['ssh exit 255 after the runtime line, before the hello', { exitCode: 255, stdoutBytes: 120, stderr: 'client_loop: send disconnect: Broken pipe' }, [], 'ssh-session-lost'],
  ['ssh exit 255 after the hello, nothing on stderr (the agent killed by a signal)', { exitCode: 255, stderr: '' }, [AGENT], 'agent-failed'],
  ['ssh exit 255 after the agent\'s fatal line', { exitCode: 255, stderr: 'Connection to 10.0.0.2 closed by remote host.' }, [AGENT, { t: 'fatal', message: 'boom' }], 'agent-failed'],
  ['ssh exit 255 after done', { exitCode: 255, stderr: 'Connection to 10.0.0.2 closed by remote host.' }, [AGENT, END], undefined],
];

for (const [name, session, events, expected] of ROWS) {
  test(`classifySession: ${name} -> ${expected ?? 'no node-level fault'}`, () => {
    const evidence: SessionEvidence = { ...BASE, ...session };
    if (session.stdoutBytes === undefined && 'stdoutBytes' in session) delete evidence.stdoutBytes;
    assert.equal(classifySession(evidence, events), expected);
  });
}
