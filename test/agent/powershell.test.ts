/**
 * The PowerShell agent cannot run here (no PowerShell on this machine; Debian's repositories do not
 * carry it). What is tested: the encoded bootstrap says what it should, the script embeds the plan
 * so that it reads back exactly, the agent uses only fields the plan format has, and a sample of
 * output in the agent's format (hand-written in the shape ConvertTo-Json -Compress emits, NOT
 * recorded on Windows) passes the controller's parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { embedPlan, POWERSHELL_AGENT_PATH, POWERSHELL_BOOTSTRAP, powershellAgent, powershellAgentText } from '../../controller/agents/powershell.js';
import { parseAgentEvent, PATHS, PROTOCOL_VERSION } from '../../src/protocol.js';
import type { Plan } from '../../src/protocol.js';

const SAMPLE = fileURLToPath(new URL('../../../test/fixtures/powershell-agent-sample.jsonl', import.meta.url));

const PLAN: Plan = {
  version: PROTOCOL_VERSION,
  runId: 'run-1',
  node: `win'@01 ünïcode`,
  token: 'tok-123',
  fingerprint256: 'AB:CD',
  spkiSha256Base64: 'abc=',
  controllerAddresses: ['10.20.0.2'],
  probes: [
    { id: 'hello-http-0', kind: 'hello', proto: 'http', address: '10.20.0.2', port: 63001, source: '10.20.0.15' },
    { id: 'dl-http-0-1024', kind: 'download', proto: 'http', address: '10.20.0.2', port: 63001, size: 1024, sha256: 'a'.repeat(64) },
    { id: 'ul-http-0-1024', kind: 'upload', proto: 'http', address: '10.20.0.2', port: 63001, size: 1024, sha256: 'b'.repeat(64) },
    { id: 'status-https-0', kind: 'status', proto: 'https', address: '10.20.0.2', port: 63002, posts: 3, intervalMs: 1000 },
    { id: 'hold-http-0', kind: 'hold', proto: 'http', address: '10.20.0.2', port: 63001, holdMs: 30000 },
  ],
  deadlines: { connectMs: 3000, stallMs: 5000, probeMs: 60000, totalMs: 120000 },
  concurrency: 4,
};

test('remote command: powershell -EncodedCommand with a bootstrap that runs the rest of stdin', () => {
  const match = /^powershell -NoProfile -NonInteractive -EncodedCommand ([A-Za-z0-9+/=]+)$/.exec(powershellAgent.remoteCommand);
  assert.ok(match, powershellAgent.remoteCommand);
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf16le');
  assert.equal(decoded, POWERSHELL_BOOTSTRAP);
  assert.match(decoded, /\[Console\]::In\.ReadToEnd\(\)/);
  assert.match(decoded, /\[scriptblock\]::Create\(/);
  // cmd.exe's limit on a command line is 8191 characters.
  assert.ok(powershellAgent.remoteCommand.length < 8191);
  assert.equal(powershellAgent.flavour, 'powershell');
});

test('script: the plan is embedded as a literal here-string that reads back exactly, all ASCII', () => {
  const script = powershellAgent.script(PLAN);
  assert.ok(/^[\x00-\x7f]*$/.test(script), 'ASCII only, whatever the console code page');
  const match = /^\$Plan = ConvertFrom-Json @'\n(.*)\n'@\n/.exec(script);
  assert.ok(match, 'a single-quoted here-string (no expansion) opens the script');
  assert.deepEqual(JSON.parse(match[1]!), PLAN);
  assert.ok(script.endsWith(powershellAgentText()));
  assert.equal(embedPlan(PLAN).split('\n').length, 4, 'the JSON is one line: it cannot close the here-string early');
});

test('agent text: reads only fields the plan format has, and reports the protocol kinds', () => {
  const source = readFileSync(POWERSHELL_AGENT_PATH, 'utf8');
  const fields = (re: RegExp): Set<string> => new Set([...source.matchAll(re)].map((m) => m[1]!));
  const planKeys = new Set(Object.keys(PLAN));
  const probeKeys = new Set(PLAN.probes.flatMap((p) => Object.keys(p)));
  const deadlineKeys = new Set(Object.keys(PLAN.deadlines));
  for (const f of fields(/\$Plan\.(\w+)/g)) assert.ok(planKeys.has(f), `$Plan.${f}`);
  for (const f of fields(/\$p\.(\w+)/g)) assert.ok(probeKeys.has(f), `$p.${f}`);
  for (const f of fields(/\$D\.(\w+)/g)) assert.ok(deadlineKeys.has(f), `$D.${f}`);
  for (const kind of ['agent', 'facts', 'probe', 'halfopen', 'done']) assert.match(source, new RegExp(`t = '${kind}'`));
  // A path's first stuck transfer is asked for once more, marked attempt 2, and reported as a retry line.
  assert.match(source, /\$q = "\?probe=\$\(\[Uri\]::EscapeDataString\(\$p\.id\)\)&attempt=2"/);
  assert.match(source, /\$o\.t = 'retry'/);
  // The paths come from the protocol, assigned in front of the agent as sent.
  for (const [name, path] of [['PATH_HELLO', PATHS.hello], ['PATH_BLOB', PATHS.blob], ['PATH_UPLOAD', PATHS.upload], ['PATH_STATUS', PATHS.status]] as const) {
    assert.ok(source.includes(`"$${name}$q`), name);
    assert.ok(powershellAgentText().includes(`$${name} = "${path}"\n`), path);
  }
  assert.match(source, /NOT YET RUN AGAINST REAL WINDOWS/);
});

test('sample output in the agent format passes parseAgentEvent, in the order the controller expects', () => {
  const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter((l) => l !== '');
  const events = lines.map((line) => parseAgentEvent(line));
  assert.deepEqual(events.map((e) => e.t).filter((t, i, all) => all[i - 1] !== t), ['agent', 'facts', 'probe', 'retry', 'halfopen', 'done']);
  const hello = events[0];
  assert.ok(hello?.t === 'agent' && hello.flavour === 'powershell');
  const outcomes = events.flatMap((e) => (e.t === 'probe' ? [e.outcome] : []));
  assert.ok(outcomes.includes('unsupported') && outcomes.includes('tls-mismatch'));
});

test('agent text as sent is small', () => {
  const text = powershellAgentText();
  assert.ok(!/^\s*#/m.test(text));
  assert.ok(Buffer.byteLength(text) < 16 * 1024, `${Buffer.byteLength(text)} bytes`);
});
