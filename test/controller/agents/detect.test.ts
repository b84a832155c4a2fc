/**
 * Runtime detection (controller/agents/detect.ts): the sh snippet run locally under a PATH made of
 * symlinks in a temp dir, answered the way the controller answers it; and the chooser.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flavourModule, registeredFlavours } from '../../../controller/agents/index.js';
import { NODE_AGENT_MIN_MAJOR, NO_RUNTIME_EXIT, askedFlavour, chooseFlavour, detectionCommand, flavourWithoutDetection, parseRuntimesLine, type DetectedRuntimes } from '../../../controller/agents/detect.js';
import type { AgentFlavour } from '../../../controller/agents/types.js';
import { classifySession } from '../../../controller/diagnose/session.js';
import { PROTOCOL_VERSION, parseAgentEvent, type AgentEvent, type Plan } from '../../../src/protocol.js';
import { parseProfiles } from '../../../src/profile-file.js';
import { BUILT_IN_PROFILES } from '../../../src/profiles.js';

const SNIPPET = detectionCommand(registeredFlavours().map((f) => flavourModule(f)!));
const EMPTY_PLAN: Plan = {
  version: PROTOCOL_VERSION,
  runId: 't',
  node: 'n',
  token: 'tok',
  fingerprint256: 'AA',
  controllerAddresses: ['127.0.0.1'],
  probes: [],
  deadlines: { connectMs: 1000, stallMs: 1000, probeMs: 1000, totalMs: 3000 },
  concurrency: 1,
};

/** Finds a tool the way the lab does: first match in the usual directories. */
function which(tool: string): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/local/bin']) {
    const path = join(dir, tool);
    if (existsSync(path)) return path;
  }
  throw new Error(`${tool} not found`);
}

/** A temp dir whose entries are the only commands on PATH: name -> target (or script text). */
function binDir(t: TestContext, entries: Record<string, { link: string } | { script: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-detect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, entry] of Object.entries(entries)) {
    const path = join(dir, name);
    if ('link' in entry) symlinkSync(entry.link, path);
    else {
      writeFileSync(path, entry.script);
      chmodSync(path, 0o755);
    }
  }
  return dir;
}

interface SnippetRun {
  code: number | null;
  firstLine?: string;
  events: AgentEvent[];
  stderr: string;
}

/** Runs the snippet (the unforced one unless given) under `path`, answers its first line with answer(line) and closes stdin. */
function runSnippet(path: string, answer: (line: string) => string | undefined, shell: readonly string[] = ['/bin/sh'], snippet = SNIPPET): Promise<SnippetRun> {
  return new Promise((resolve, reject) => {
    // The shell by absolute path: the snippet's own PATH is the restricted one.
    const [command, ...args] = shell;
    const child = spawn(command!, [...args, '-c', snippet], { env: { PATH: path }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let firstLine: string | undefined;
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdin.on('error', () => undefined);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (firstLine === undefined && newline >= 0) {
        firstLine = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        const text = answer(firstLine);
        child.stdin.end(text);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const events = stdout.split('\n').filter((l) => l !== '').map(parseAgentEvent);
      resolve({ code, ...(firstLine === undefined ? {} : { firstLine }), events, stderr });
    });
  });
}

const SH = { link: '/bin/sh' };

test('detection: a PATH with no runtime exits 127 naming what it looked for, before printing anything', async (t) => {
  const run = await runSnippet(binDir(t, { sh: SH }), () => assert.fail('no runtime line expected'));
  assert.equal(run.code, NO_RUNTIME_EXIT);
  assert.equal(run.firstLine, undefined);
  assert.match(run.stderr, /no agent runtime on PATH \(looked for node >= 12, python3 >= 3\.6, curl, wget, nc\)$/m);
});

for (const shell of [['/bin/sh'], [which('busybox'), 'sh']]) test(`detection under ${shell.join(' ')}: python3 only: reported, chosen, and the Python agent runs on the rest of stdin`, async (t) => {
  const run = await runSnippet(binDir(t, { sh: SH, python3: { link: which('python3') } }), (line) => {
    const runtimes = parseRuntimesLine(line);
    assert.deepEqual(runtimes, { node: false, python3: true, curl: false, wget: false, nc: false });
    const choice = chooseFlavour(runtimes!, undefined, registeredFlavours());
    assert.deepEqual(choice, { ok: true, flavour: 'python' });
    return `python\n${flavourModule('python')!.script(EMPTY_PLAN)}`;
  }, shell);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.events.map((e) => e.t), ['agent', 'facts', 'halfopen', 'done']);
  assert.equal(run.events[0]?.t === 'agent' && run.events[0].flavour, 'python');
});

test('detection: node and python3: node is preferred and runs', async (t) => {
  const path = binDir(t, { sh: SH, python3: { link: which('python3') }, node: { link: process.execPath } });
  const run = await runSnippet(path, (line) => {
    const choice = chooseFlavour(parseRuntimesLine(line)!, undefined, registeredFlavours());
    assert.deepEqual(choice, { ok: true, flavour: 'node' });
    return `node\n${flavourModule('node')!.script(EMPTY_PLAN)}`;
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.events[0]?.t === 'agent' && run.events[0].flavour, 'node');
});

test('detection: curl, GNU or busybox wget, nc, and a python3 older than 3.6 are told apart', async (t) => {
  const oldPython = { script: '#!/bin/sh\n# answers the version check as Python 3.5 would: too old\nexit 1\n' };
  const cases: [Record<string, { link: string } | { script: string }>, Partial<DetectedRuntimes>][] = [
    [{ curl: { link: which('curl') }, python3: oldPython }, { curl: true, python3: false }],
    [{ wget: { link: which('busybox') } }, { wget: 'busybox' }],
    [{ wget: { link: which('wget') }, nc: { link: which('busybox') } }, { wget: 'gnu', nc: true }],
  ];
  for (const [entries, expected] of cases) {
    let seen: DetectedRuntimes | undefined;
    // Answered with no flavour: the session ends without an agent.
    const run = await runSnippet(binDir(t, { sh: SH, ...entries }), (line) => {
      seen = parseRuntimesLine(line);
      return '\n';
    });
    assert.ok(seen, `runtime line for ${Object.keys(entries).join(', ')}`);
    assert.deepEqual(seen, { node: false, python3: false, curl: false, wget: false, nc: false, ...expected });
    assert.equal(run.code, 1, 'an empty choice ends the session');
    assert.match(run.stderr, /no agent flavour chosen/);
  }
});

/** A stand-in for `tool` that leaves a mark in `marks` when run, then does as `tool` would not: fails. */
const marking = (tool: string, marks: string): { script: string } => ({ script: `#!/bin/sh\necho ${tool} >> '${marks}'\nexit 1\n` });

test('detection: once node is found, python3 and wget are not run (their starts cost the node CPU for nothing)', async (t) => {
  const marks = join(binDir(t, {}), 'ran');
  const path = binDir(t, { sh: SH, node: { link: process.execPath }, python3: marking('python3', marks), wget: marking('wget', marks), curl: { link: which('curl') } });
  let seen: DetectedRuntimes | undefined;
  const run = await runSnippet(path, (line) => {
    seen = parseRuntimesLine(line);
    return `node\n${flavourModule('node')!.script(EMPTY_PLAN)}`;
  });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(seen, { node: true, nodeVersion: process.version, python3: false, curl: true, wget: false, nc: false });
  assert.equal(existsSync(marks), false, `ran: ${existsSync(marks) ? readFileSync(marks, 'utf8') : ''}`);
});

test('detection for a forced flavour looks past a preferred runtime: runtime python on a node with node finds python3 and runs it', async (t) => {
  const snippet = detectionCommand(registeredFlavours().map((f) => flavourModule(f)!), 'python');
  const path = binDir(t, { sh: SH, node: { link: process.execPath }, python3: { link: which('python3') } });
  const run = await runSnippet(path, (line) => {
    const choice = chooseFlavour(parseRuntimesLine(line)!, 'python', registeredFlavours());
    assert.deepEqual(choice, { ok: true, flavour: 'python' });
    return `python\n${flavourModule('python')!.script(EMPTY_PLAN)}`;
  }, ['/bin/sh'], snippet);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.events[0]?.t === 'agent' && run.events[0].flavour, 'python');
});

test('detection: a forced runtime the node lacks sends nothing and says which', async (t) => {
  let problem = '';
  const run = await runSnippet(binDir(t, { sh: SH, node: { link: process.execPath } }), (line) => {
    const choice = chooseFlavour(parseRuntimesLine(line)!, 'python', registeredFlavours());
    assert.equal(choice.ok, false);
    if (!choice.ok) problem = choice.problem;
    return undefined;
  });
  assert.equal(run.events.length, 0);
  assert.notEqual(run.code, 0);
  assert.equal(problem, 'runtime "python" was asked for, but the node has no python3 >= 3.6 on the PATH of SSH sessions (found: node)');
});

/** A stand-in `node` that answers `node -v` as the given release would (the detection asks nothing else of it). */
const fakeNode = (version: string): { script: string } => ({ script: `#!/bin/sh\ncase "$1" in -v) printf '%s\\n' '${version}' ;; *) exit 9 ;; esac\n` });

for (const shell of [['/bin/sh'], [which('busybox'), 'sh']]) test(`detection under ${shell.join(' ')}: a node older than ${NODE_AGENT_MIN_MAJOR} is no runtime for the Node agent; python3 is chosen and runs`, async (t) => {
  let runtimes: DetectedRuntimes | undefined;
  const run = await runSnippet(binDir(t, { sh: SH, node: fakeNode('v10.24.1'), python3: { link: which('python3') } }), (line) => {
    runtimes = parseRuntimesLine(line);
    const choice = chooseFlavour(runtimes!, undefined, registeredFlavours());
    assert.deepEqual(choice, { ok: true, flavour: 'python' });
    return `python\n${flavourModule('python')!.script(EMPTY_PLAN)}`;
  }, shell);
  assert.deepEqual(runtimes, { node: false, nodeVersion: 'v10.24.1', python3: true, curl: false, wget: false, nc: false });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.events[0]?.t === 'agent' && run.events[0].flavour, 'python');
});

test('detection: node -v answers from old, new, and odd nodes', async (t) => {
  const cases: [string, boolean, string][] = [
    ['v0.10.48', false, 'v0.10.48'],
    ['v8.17.0', false, 'v8.17.0'],
    ['v11.15.0', false, 'v11.15.0'],
    ['v12.0.0', true, 'v12.0.0'],
    ['v22.3.0', true, 'v22.3.0'],
    ['v100.0.0', true, 'v100.0.0'],
    // Not a version (or not safe inside the JSON line, or too long): unknown, and not trusted.
    ['v1"2,"node":true', false, 'unknown'],
    ['12.0.0', false, 'unknown'],
    [`v12.${'1'.repeat(40)}`, false, 'unknown'],
    ['', false, 'unknown'],
  ];
  for (const [answer, usable, reported] of cases) {
    let runtimes: DetectedRuntimes | undefined;
    await runSnippet(binDir(t, { sh: SH, node: fakeNode(answer), nc: { link: which('busybox') } }), (line) => {
      runtimes = parseRuntimesLine(line);
      return undefined;
    });
    assert.ok(runtimes, `a runtime line for node -v = ${answer}`);
    assert.equal(runtimes.node, usable, answer);
    assert.equal(runtimes.nodeVersion, reported, answer);
  }
});

test('detection: only a too-old node on PATH exits 127 saying which node it found', async (t) => {
  const run = await runSnippet(binDir(t, { sh: SH, node: fakeNode('v8.17.0') }), () => assert.fail('no runtime line expected'));
  assert.equal(run.code, NO_RUNTIME_EXIT);
  assert.match(run.stderr, /no agent runtime on PATH \(looked for node >= 12, .*; node v8\.17\.0 is not >= 12\)/);
});

test('detection: runtime node forced on a node whose node is too old: nothing is sent, agent-no-runtime naming the version', async (t) => {
  let problem = '';
  const run = await runSnippet(binDir(t, { sh: SH, node: fakeNode('v10.24.1'), python3: { link: which('python3') } }), (line) => {
    const choice = chooseFlavour(parseRuntimesLine(line)!, 'node', registeredFlavours());
    assert.equal(choice.ok, false);
    if (!choice.ok) problem = choice.problem;
    return undefined;
  });
  assert.equal(run.events.length, 0);
  assert.notEqual(run.code, 0);
  assert.equal(problem, 'runtime "node" was asked for, but node on the PATH of SSH sessions is v10.24.1, and the Node agent needs node >= 12 (found: node v10.24.1 (too old), python3)');
  const session = { exitCode: run.code, stderr: run.stderr, timedOut: false, interrupted: false, ms: 1, stdoutBytes: 1, runtimeProblem: problem };
  assert.equal(classifySession(session, run.events), 'agent-no-runtime');
});

const ALL: DetectedRuntimes = { node: true, python3: true, curl: true, wget: 'busybox', nc: true };
const NONE: DetectedRuntimes = { node: false, python3: false, curl: false, wget: false, nc: false };

test('chooser: the preference order, limited to the registered flavours', () => {
  const every: AgentFlavour[] = ['node', 'python', 'sh-curl', 'sh-wget', 'sh-tcp', 'powershell'];
  const best = (r: Partial<DetectedRuntimes>, registered = every): unknown => {
    const c = chooseFlavour({ ...NONE, ...r }, undefined, registered);
    return c.ok ? c.flavour : c.problem;
  };
  assert.equal(best(ALL), 'node');
  assert.equal(best({ ...ALL, node: false }), 'python');
  assert.equal(best({ curl: true, wget: 'gnu', nc: true }), 'sh-curl');
  assert.equal(best({ wget: 'busybox', nc: true }), 'sh-wget');
  assert.equal(best({ nc: true }), 'sh-tcp');
  assert.equal(best({ curl: true }, ['node', 'python']), 'no agent flavour of this build can run on the node (found: curl)');
  // A forced flavour wins over a better one the node also has.
  assert.deepEqual(chooseFlavour(ALL, 'sh-wget', every), { ok: true, flavour: 'sh-wget' });
});

test('chooser: the node\'s runtime, else --runtime, else the profile\'s default when part of the build; PowerShell skips detection', () => {
  const windows = BUILT_IN_PROFILES.windows!.hints.defaultRuntime;
  const linux = BUILT_IN_PROFILES.linux!.hints.defaultRuntime;
  assert.equal(askedFlavour(undefined, undefined, windows, ['node', 'powershell']), 'powershell');
  assert.equal(askedFlavour(undefined, undefined, windows, ['node']), undefined, 'a default this build lacks is no default');
  assert.equal(askedFlavour(undefined, 'python', windows, ['node', 'python', 'powershell']), 'python', '--runtime wins over the profile');
  assert.equal(askedFlavour('sh-curl', 'python', windows, ['node', 'python', 'powershell']), 'sh-curl', 'the node\'s runtime: wins over both');
  assert.equal(askedFlavour(undefined, undefined, linux, ['node', 'powershell']), undefined);
  assert.equal(flavourWithoutDetection('powershell'), 'powershell');
  assert.equal(flavourWithoutDetection('python'), undefined);
  assert.equal(flavourWithoutDetection(undefined), undefined);
});

test('chooser: a custom profile that extends windows defaults to PowerShell; one that sets default_runtime uses it', () => {
  const profiles = parseProfiles(['profiles:', '  win-app:', '    extends: windows', '    add: [{ port: 8443 }]', '  py-nodes:', '    extends: linux', '    default_runtime: python'].join('\n'), 'p.yaml');
  const asked = (name: string): AgentFlavour | undefined => askedFlavour(undefined, undefined, profiles[name]!.hints.defaultRuntime, registeredFlavours());
  assert.equal(asked('win-app'), 'powershell');
  assert.equal(flavourWithoutDetection(asked('win-app')), 'powershell');
  assert.equal(asked('py-nodes'), 'python');
  assert.equal(asked('linux'), undefined);
});

test('runtime line: anything but the snippet\'s line is refused', () => {
  const good = { t: 'runtimes', node: true, nodeVersion: 'v20.1.0', python3: true, curl: true, wget: 'none', nc: true };
  assert.deepEqual(parseRuntimesLine(JSON.stringify(good)), { node: true, nodeVersion: 'v20.1.0', python3: true, curl: true, wget: false, nc: true });
  assert.equal(parseRuntimesLine(JSON.stringify({ ...good, nodeVersion: '' }))?.nodeVersion, undefined, 'no node on PATH');
  for (const bad of [{ node: 1 }, { wget: 'yes' }, { nodeVersion: undefined }, { nodeVersion: 'v1 2' }, { nodeVersion: `v${'1'.repeat(40)}` }, { nodeVersion: 12 }]) {
    const line = JSON.stringify({ ...good, ...bad });
    assert.equal(parseRuntimesLine(line), undefined, line);
  }
  for (const line of ['', 'not json', '{"t":"agent"}']) assert.equal(parseRuntimesLine(line), undefined, line);
});
