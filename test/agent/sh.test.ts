/**
 * The POSIX sh agent (sh-curl, sh-wget, sh-tcp), run as the controller runs it: `sh -s` with the
 * script on stdin, under dash and under busybox sh, with a PATH that holds only what the flavour may
 * use (a directory of symlinks: GNU tools or busybox applets, plus curl or wget or nc). It calls
 * back to the real CallbackListener on 127.0.0.1 and to test-local servers that misbehave. Every
 * stdout line must pass parseAgentEvent.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { SH_AGENT_TOOLS, shCurlAgent, shTcpAgent, shWgetAgent, renderShPlan } from '../../controller/agents/sh.js';
import { shellQuote } from '../../controller/agents/shell-quote.js';
import type { AgentFlavourModule } from '../../controller/agents/types.js';
import { BlobStore } from '../../controller/wire/blobs.js';
import { createRunCertificate } from '../../controller/wire/cert.js';
import { CallbackListener } from '../../controller/wire/listener.js';
import { parseAgentEvent, PROTOCOL_VERSION, TOKEN_HEADER } from '../../src/protocol.js';
import type { AgentEvent, AgentPathMtu, Deadlines, Plan, PlannedProbe, ProbeResult } from '../../src/protocol.js';
import { checkShape } from '../helpers/agent-process.js';
import type { AgentRun } from '../helpers/agent-process.js';
import { startTestListener } from '../helpers/listener-harness.js';
import { fullAcceptQueue } from '../helpers/full-accept-queue.js';
import { afterRequestHead, closedPort, serveOnLoopback } from '../helpers/loopback-server.js';

const HOST = '127.0.0.1';
const NODE_NAME = 'node-a';
const AGENT_KILL_MS = 20_000;
/** Above what GNU wget can take as one argument: the sh-wget agent says it cannot send it. */
const BIG_UPLOAD = 300_000;
const SMALL_UPLOAD = 40_000;
const DEADLINES: Deadlines = { connectMs: 1000, stallMs: 1000, probeMs: 4000, totalMs: 12_000 };

/** What the agent needs besides its client; busybox has all of them as applets. */
const TOOLS = SH_AGENT_TOOLS;

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
  return found.startsWith('/') ? found : undefined;
}
const BUSYBOX = which('busybox');
const DASH = which('dash');

interface Setup {
  name: string;
  module: AgentFlavourModule;
  /** The shell that runs `-s`. */
  shell: string;
  /** GNU tools from this machine, or busybox applets. */
  userland: 'gnu' | 'busybox';
  /** The client: a path on this machine, or 'busybox' for the applet. */
  client: Record<string, string>;
}

function setups(): Setup[] {
  const all: Setup[] = [];
  const curl = which('curl');
  const wget = which('wget');
  if (DASH !== undefined && curl !== undefined) all.push({ name: 'sh-curl under dash', module: shCurlAgent, shell: DASH, userland: 'gnu', client: { curl } });
  if (BUSYBOX !== undefined && curl !== undefined) all.push({ name: 'sh-curl under busybox sh', module: shCurlAgent, shell: BUSYBOX, userland: 'busybox', client: { curl } });
  if (DASH !== undefined && wget !== undefined) all.push({ name: 'sh-wget (GNU wget) under dash', module: shWgetAgent, shell: DASH, userland: 'gnu', client: { wget } });
  if (BUSYBOX !== undefined) {
    all.push({ name: 'sh-wget (busybox wget) under busybox sh', module: shWgetAgent, shell: BUSYBOX, userland: 'busybox', client: { wget: BUSYBOX, nc: BUSYBOX } });
    all.push({ name: 'sh-tcp (busybox nc) under busybox sh', module: shTcpAgent, shell: BUSYBOX, userland: 'busybox', client: { nc: BUSYBOX } });
  }
  const nc = which('nc');
  if (DASH !== undefined && nc !== undefined) all.push({ name: 'sh-tcp (OpenBSD nc) under dash', module: shTcpAgent, shell: DASH, userland: 'gnu', client: { nc } });
  return all;
}

// The test runner installs the lab's packages first (busybox, curl, wget, netcat-openbsd): every
// combination must be here, so a missing tool fails loudly instead of dropping its cases.
test('sh agent: every shell and client combination is available to test', () => {
  assert.deepEqual(
    setups().map((s) => s.name),
    [
      'sh-curl under dash',
      'sh-curl under busybox sh',
      'sh-wget (GNU wget) under dash',
      'sh-wget (busybox wget) under busybox sh',
      'sh-tcp (busybox nc) under busybox sh',
      'sh-tcp (OpenBSD nc) under dash',
    ],
  );
});

/** A directory of symlinks that is the agent's whole PATH. */
function toolbox(t: TestContext, setup: Setup): string {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-sh-path-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const links: Record<string, string> = { sh: setup.shell, ...setup.client };
  for (const tool of TOOLS) {
    const target = setup.userland === 'busybox' ? BUSYBOX : which(tool);
    if (target !== undefined) links[tool] = target;
  }
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(dir, name));
  return dir;
}

function runShAgent(setup: Setup, path: string, script: string): Promise<AgentRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // Busybox runs its sh applet when called through a link named sh.
    const child = spawn(join(path, 'sh'), ['-s'], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: path }, cwd: path });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const killer = setTimeout(() => child.kill('SIGKILL'), AGENT_KILL_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const events: AgentEvent[] = [];
      for (const line of stdout.split('\n').filter((l) => l !== '')) {
        try {
          events.push(parseAgentEvent(line));
        } catch (err) {
          reject(new Error(`${setup.name}: agent line failed validation: ${line}\n${String(err)}\nstderr: ${stderr}`));
          return;
        }
      }
      resolve({ code, signal, events, stderr, ms: Date.now() - started });
    });
    child.stdin.end(script);
  });
}

interface Harness {
  listener: CallbackListener;
  blobs: BlobStore;
  token: string;
  spki: string;
  plan(probes: PlannedProbe[], overrides?: Partial<Plan>): Plan;
  ledger(probe: string): ReturnType<CallbackListener['ledger']['forNode']>;
}

async function harness(t: TestContext): Promise<Harness> {
  const { listener, tokens, blobs, cert, setPlan } = await startTestListener(t, HOST);
  const token = tokens.tokenFor(NODE_NAME);
  return {
    listener,
    blobs,
    token,
    spki: cert.spkiSha256Base64,
    plan: (probes, overrides = {}) =>
      setPlan({
        version: PROTOCOL_VERSION,
        runId: 'sh-test',
        node: NODE_NAME,
        token,
        fingerprint256: cert.fingerprint256,
        spkiSha256Base64: cert.spkiSha256Base64,
        controllerAddresses: [HOST],
        probes,
        deadlines: DEADLINES,
        concurrency: 4,
        ...overrides,
      }),
    ledger: (probe) => listener.ledger.forNode(NODE_NAME).filter((r) => r.probe === probe),
  };
}

/** Test-local servers, closed (with their hung connections) in t.after. */
/** A raw TCP server for the agent to meet; each connection handed to `onConnection`. */
function serve(t: TestContext, onConnection: (socket: net.Socket) => void): Promise<number> {
  return serveOnLoopback(
    t,
    net.createServer((socket) => {
      socket.on('error', () => undefined);
      onConnection(socket);
    }),
  );
}

const unsupported = (r: ProbeResult): void => {
  assert.equal(r.outcome, 'unsupported', JSON.stringify(r));
  assert.equal(r.error?.code, 'TWOWAY_UNSUPPORTED');
  assert.ok((r.error?.message ?? '').length > 10, 'says why');
};

// ---------------------------------------------------------------------------------------------

test('plan rendering: every value is one quoted shell word, probe lines carry the fields in order', () => {
  assert.equal(shellQuote(`it's`), `'it'\\''s'`);
  const plan: Plan = {
    version: PROTOCOL_VERSION,
    runId: 'r',
    node: `o'brien "x"`,
    token: `tok'en $(rm -rf /)`,
    fingerprint256: 'AA',
    spkiSha256Base64: 'abc+/=',
    controllerAddresses: ['10.0.0.1', 'fd00::1'],
    probes: [
      { id: 'dl-1', kind: 'download', proto: 'http', address: '10.0.0.1', port: 63001, size: 1024, sha256: 'A'.repeat(64), source: '10.0.0.9' },
      { id: 'st-1', kind: 'status', proto: 'https', address: 'fd00::1', port: 63002, posts: 3, intervalMs: 250 },
    ],
    deadlines: { connectMs: 1, stallMs: 2, probeMs: 3, totalMs: 4 },
    concurrency: 2,
  };
  const rendered = renderShPlan(plan, 'sh-curl');
  // The shell itself reads the assignments back: no value escapes its quotes.
  const echoed = spawnSync('sh', ['-c', `${rendered}printf '%s|' "$TW_TOKEN" "$TW_NODE_JSON" "$TW_CONTROLLERS" "$TW_PROBES"`], { encoding: 'utf8' });
  assert.equal(echoed.stdout, `tok'en $(rm -rf /)|"o'brien \\"x\\""|10.0.0.1 fd00::1|dl-1 download http 10.0.0.1 63001 10.0.0.9 1024 ${'a'.repeat(64)} - -\nst-1 status https fd00::1 63002 - - - 3 250|`);
  assert.throws(() => renderShPlan({ ...plan, probes: [{ ...plan.probes[0]!, id: 'has space' }] }, 'sh-curl'), /probes\[0\]\.id "has space" cannot be given to the sh agent/);
  assert.throws(() => renderShPlan({ ...plan, controllerAddresses: ['10.0.0.1"'] }, 'sh-curl'), /controllerAddresses\[0\]/);
});

test('the script as sent is small: comments and indentation are not sent', () => {
  const text = shCurlAgent.script({
    version: PROTOCOL_VERSION,
    runId: 'r',
    node: 'n',
    token: 't',
    fingerprint256: 'AA',
    controllerAddresses: [],
    probes: [],
    deadlines: DEADLINES,
    concurrency: 1,
  });
  assert.ok(!/^\s*#/m.test(text), 'no comment lines');
  assert.ok(!/^\s/m.test(text), 'no indentation');
  assert.equal(shCurlAgent.remoteCommand, 'sh -s');
  assert.equal(spawnSync('sh', ['-n'], { input: text }).status, 0, 'still valid sh');
});

for (const setup of setups()) {
  const curl = setup.module.flavour === 'sh-curl';
  const wget = setup.module.flavour === 'sh-wget';
  const gnuWget = wget && setup.userland === 'gnu';
  const tcp = setup.module.flavour === 'sh-tcp';

  test(`${setup.name}: the listener contract over http and https`, async (t) => {
    const h = await harness(t);
    const path = toolbox(t, setup);
    const http = { proto: 'http' as const, address: HOST, port: h.listener.portFor('http') };
    const https = { proto: 'https' as const, address: HOST, port: h.listener.portFor('https') };
    const download = (size: number) => ({ kind: 'download' as const, size, sha256: h.blobs.get(size).sha256 });
    const upload = (size: number) => ({ kind: 'upload' as const, size, sha256: h.blobs.uploadSha256(size) });
    const refused = await closedPort();
    const plan = h.plan([
      { ...http, id: 'hold', kind: 'hold', holdMs: 100 },
      { ...http, id: 'hello-http', kind: 'hello' },
      { ...http, id: 'dl-small', ...download(1024) },
      { ...http, id: 'dl-large', ...download(1024 * 1024 + 3) },
      // The listener serves the 2048-byte blob; the plan expects another digest.
      { ...http, id: 'dl-corrupt', kind: 'download', size: 2048, sha256: h.blobs.get(4096).sha256 },
      { ...http, id: 'ul-small', ...upload(SMALL_UPLOAD) },
      { ...http, id: 'ul-big', ...upload(BIG_UPLOAD) },
      { ...http, id: 'ul-unexpected', kind: 'upload', size: 1000, sha256: h.blobs.uploadSha256(1001) },
      { ...http, id: 'status-http', kind: 'status', posts: 2, intervalMs: 50 },
      // All of 127/8 is local on Linux: a second loopback source shows that the source is bound.
      { ...http, id: 'hello-source', kind: 'hello', source: '127.0.0.2' },
      { ...http, port: refused, id: 'refused', kind: 'hello' },
      { ...https, id: 'hello-https', kind: 'hello' },
      { ...https, id: 'dl-https', ...download(64 * 1024) },
      { ...https, id: 'ul-https', ...upload(SMALL_UPLOAD) },
      { ...https, id: 'status-https', kind: 'status', posts: 2, intervalMs: 50 },
    ]);
    const run = await runShAgent(setup, path, setup.module.script(plan));
    const results = checkShape(run, plan);
    const get = (id: string): ProbeResult => results.get(id)!;

    await t.test('hello, facts and half-open sample', () => {
      const hello = run.events[0];
      assert.ok(hello?.t === 'agent');
      assert.equal(hello.flavour, setup.module.flavour);
      assert.equal(hello.platform, 'linux');
      const facts = run.events[1];
      assert.ok(facts?.t === 'facts');
      assert.deepEqual(facts.routes, [{ to: HOST, source: HOST, iface: 'lo' }]);
      assert.ok(facts.addresses.every((a) => a.address !== HOST), 'loopback is not among the addresses');
      const halfOpen = run.events.at(-2);
      assert.ok(halfOpen?.t === 'halfopen' && halfOpen.measured);
      // The listening sockets: the listener this test opened is there, the closed port is not.
      assert.ok(halfOpen.listening?.measured === true, JSON.stringify(halfOpen));
      assert.ok(halfOpen.listening.sockets.some((l) => [HOST, '0.0.0.0', '::'].includes(l.address) && l.port === http.port), `${HOST}:${http.port} listed`);
      assert.ok(!halfOpen.listening.sockets.some((l) => l.port === refused), `closed port ${refused} not listed`);
    });

    await t.test('hold: unsupported (no WebSocket client)', () => unsupported(get('hold')));

    await t.test('refused port: refused, whatever the client', () => {
      const r = get('refused');
      assert.equal(r.outcome, 'refused', JSON.stringify(r));
      assert.equal(r.phase, 'connect');
    });

    if (tcp) {
      await t.test('sh-tcp: connects, and says nothing past the connect was measured', () => {
        for (const id of ['hello-http', 'dl-small', 'ul-small', 'status-http', 'hello-https']) {
          unsupported(get(id));
          assert.equal(get(id).phase, 'request', id);
          assert.match(get(id).error?.message ?? '', /TCP connect .* succeeded/);
        }
        // busybox nc cannot bind a source address.
        unsupported(get('hello-source'));
        assert.equal(h.ledger('hello-http').length, 0, 'no request reached the listener');
      });
      return;
    }

    await t.test('hello: the listener echoes the source it saw', () => {
      const r = get('hello-http');
      assert.equal(r.outcome, 'ok', JSON.stringify(r));
      assert.equal(r.seen?.address, HOST);
      assert.equal(r.httpStatus, 200);
      if (curl) assert.equal(r.local?.port, r.seen?.port, 'curl knows its local end');
    });

    await t.test('downloads: size and SHA-256 checked', () => {
      for (const id of ['dl-small', 'dl-large']) {
        const r = get(id);
        assert.equal(r.outcome, 'ok', JSON.stringify(r));
        assert.equal(r.bytes, plan.probes.find((p) => p.id === id)?.size);
      }
      const corrupt = get('dl-corrupt');
      assert.equal(corrupt.outcome, 'corrupt', JSON.stringify(corrupt));
      assert.match(corrupt.error?.message ?? '', /SHA-256/);
    });

    await t.test('uploads: the listener checks the content', () => {
      const r = get('ul-small');
      assert.equal(r.outcome, 'ok', JSON.stringify(r));
      assert.equal(h.ledger('ul-small')[0]?.bytesReceived, SMALL_UPLOAD);
      if (gnuWget) {
        unsupported(get('ul-big'));
        assert.equal(h.ledger('ul-big').length, 0);
      } else {
        assert.equal(get('ul-big').outcome, 'ok', JSON.stringify(get('ul-big')));
        assert.equal(get('ul-big').bytes, BIG_UPLOAD);
      }
      const unexpected = get('ul-unexpected');
      assert.equal(unexpected.outcome, 'corrupt', JSON.stringify(unexpected));
      assert.equal(unexpected.httpStatus, 422);
    });

    await t.test('status: every post listed', () => {
      const r = get('status-http');
      assert.equal(r.outcome, 'ok', JSON.stringify(r));
      assert.deepEqual(r.posts?.map((p) => p.ok), [true, true]);
      assert.deepEqual(h.ledger('status-http').map((e) => e.method), ['POST', 'POST']);
    });

    await t.test('source binding', () => {
      const r = get('hello-source');
      if (setup.userland === 'busybox' && wget) {
        unsupported(r);
      } else {
        assert.equal(r.outcome, 'ok', JSON.stringify(r));
        assert.equal(r.seen?.address, '127.0.0.2');
      }
    });

    await t.test(curl ? 'https: pinned by public key, ok' : 'https: unsupported (wget cannot pin), never sent', () => {
      for (const id of ['hello-https', 'dl-https', 'ul-https', 'status-https']) {
        const r = get(id);
        if (curl) assert.equal(r.outcome, 'ok', JSON.stringify(r));
        else {
          unsupported(r);
          assert.match(r.error?.message ?? '', /pin/);
          assert.equal(h.ledger(id).length, 0, 'nothing reached the listener');
        }
      }
    });
  });
}

for (const setup of setups().filter((s) => s.module.flavour !== 'sh-tcp')) {
  const curl = setup.module.flavour === 'sh-curl';
  const busyboxWget = setup.module.flavour === 'sh-wget' && setup.userland === 'busybox';

  test(`${setup.name}: servers that misbehave, within the deadlines`, async (t) => {
    const h = await harness(t);
    const path = toolbox(t, setup);
    const blob = h.blobs.get(200_000);
    const head = `HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${blob.bytes.length}\r\n\r\n`;
    const hung = await serve(t, () => undefined);
    const staller = await serve(t, afterRequestHead((s) => s.write(Buffer.concat([Buffer.from(head), blob.bytes.subarray(0, 5000)]))));
    const cutter = await serve(t, afterRequestHead((s) => s.end(Buffer.concat([Buffer.from(head), blob.bytes.subarray(0, 7000)]))));
    const unavailable = await serve(t, afterRequestHead((s) => s.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n')));
    const download = { kind: 'download' as const, size: blob.bytes.length, sha256: blob.sha256 };
    const on = (port: number) => ({ proto: 'http' as const, address: HOST, port });
    // curl measures its stall deadline over a speed window of about five seconds: give the
    // probe deadline room to let the stall, not the probe deadline, end a stopped body.
    const plan = h.plan(
      [
        { ...on(hung), id: 'no-response', kind: 'hello' },
        { ...on(staller), id: 'stalled', ...download },
        { ...on(cutter), id: 'truncated', ...download },
        { ...on(unavailable), id: 'http-error', kind: 'hello' },
      ],
      { deadlines: { connectMs: 1000, stallMs: 1000, probeMs: 9000, totalMs: 15_000 } },
    );
    const run = await runShAgent(setup, path, setup.module.script(plan));
    const results = checkShape(run, plan);
    const get = (id: string): ProbeResult => results.get(id)!;

    await t.test('a listener that accepts and never answers: no-response', () => {
      const r = get('no-response');
      assert.equal(r.outcome, 'no-response', JSON.stringify(r));
      assert.equal(r.phase, 'response');
      // busybox wget has no read deadline here: timeout(1) ends it at the probe deadline.
      assert.equal(r.error?.code, busyboxWget ? 'TWOWAY_PROBE_DEADLINE' : 'TWOWAY_STALL');
    });

    await t.test(busyboxWget ? 'a body that stops: not measured (stall and slowness look alike to busybox wget)' : 'a body that stops: stalled', () => {
      const r = get('stalled');
      if (busyboxWget) {
        unsupported(r);
        return;
      }
      assert.equal(r.outcome, 'stalled', JSON.stringify(r));
      assert.equal(r.phase, 'body');
      assert.equal(r.error?.code, 'TWOWAY_STALL');
      if (curl) assert.equal(r.bytes, 5000);
    });

    await t.test('a body cut short: truncated', () => {
      const r = get('truncated');
      assert.equal(r.outcome, 'truncated', JSON.stringify(r));
      assert.equal(r.phase, 'body');
      assert.equal(r.bytes, 7000);
    });

    await t.test('a non-2xx answer: http-error', () => {
      const r = get('http-error');
      assert.equal(r.outcome, 'http-error', JSON.stringify(r));
      assert.equal(r.httpStatus, 503);
    });
  });

  test(`${setup.name}: the agent deadline ends the run and every probe is reported`, async (t) => {
    const h = await harness(t);
    const path = toolbox(t, setup);
    const hung = await serve(t, () => undefined);
    const probes: PlannedProbe[] = Array.from({ length: 6 }, (_, i) => ({ id: `hung-${i}`, kind: 'hello', proto: 'http', address: HOST, port: hung }));
    const plan = h.plan(probes, { concurrency: 1, deadlines: { connectMs: 1000, stallMs: 1000, probeMs: 1500, totalMs: 3000 } });
    const run = await runShAgent(setup, path, setup.module.script(plan));
    const results = checkShape(run, plan);
    const outcomes = [...results.values()].map((r) => `${r.outcome}/${r.error?.code ?? ''}`);
    for (const o of outcomes) assert.match(o, /^(no-response\/TWOWAY_(STALL|PROBE_DEADLINE|AGENT_DEADLINE)|error\/TWOWAY_(NOT_STARTED|AGENT_DEADLINE))$/);
    assert.equal(results.get('hung-0')?.outcome, 'no-response');
    assert.equal(results.get('hung-5')?.error?.code, 'TWOWAY_NOT_STARTED', outcomes.join(' '));
  });

  test(`${setup.name}: a dropped path is connected to once; its other probes carry that connect's evidence`, async (t) => {
    const h = await harness(t);
    const path = toolbox(t, setup);
    const drops = [await fullAcceptQueue(t), await fullAcceptQueue(t)];
    const byPath = drops.map(({ port }, i) =>
      ['hello', 'hello-2', 'status'].map((name): PlannedProbe => ({ id: `${name}-${i}`, ...(name === 'status' ? { kind: 'status', posts: 2, intervalMs: 0 } : { kind: 'hello' }), proto: 'http', address: HOST, port })),
    );
    // Plan order keeps a path's probes together: the lanes must still reach both paths at once.
    const plan = h.plan(byPath.flat(), { concurrency: 2, deadlines: { connectMs: 1000, stallMs: 1000, probeMs: 4000, totalMs: 12_000 } });
    const results = checkShape(await runShAgent(setup, path, setup.module.script(plan)), plan);
    for (const probes of byPath) {
      const reported = probes.map((p) => results.get(p.id)!);
      for (const r of reported) assert.deepEqual([r.outcome, r.phase, r.error?.code], ['timeout', 'connect', 'TWOWAY_CONNECT_TIMEOUT'], JSON.stringify(r));
      const tried = reported.filter((r) => !(r.error?.message ?? '').includes('not tried again'));
      assert.equal(tried.length, 1, `one connect per dropped path: ${JSON.stringify(reported)}`);
      for (const r of reported.filter((x) => x.id !== tried[0]!.id)) assert.match(r.error?.message ?? '', new RegExp(`not tried again: probe ${tried[0]!.id} had the same address and port`));
    }
  });

  test(`${setup.name}: with more lanes than dropped paths, each lane tries the path once and its later probes carry that evidence`, async (t) => {
    const h = await harness(t);
    const path = toolbox(t, setup);
    const { port } = await fullAcceptQueue(t);
    const probes = Array.from({ length: 7 }, (_, i): PlannedProbe => ({ id: `hello-${i}`, kind: 'hello', proto: 'http', address: HOST, port }));
    const plan = h.plan(probes, { concurrency: 3, deadlines: { connectMs: 1000, stallMs: 1000, probeMs: 4000, totalMs: 12_000 } });
    const results = checkShape(await runShAgent(setup, path, setup.module.script(plan)), plan);
    const reported = probes.map((p) => results.get(p.id)!);
    for (const r of reported) assert.deepEqual([r.outcome, r.phase, r.error?.code], ['timeout', 'connect', 'TWOWAY_CONNECT_TIMEOUT'], JSON.stringify(r));
    const tried = reported.filter((r) => !(r.error?.message ?? '').includes('not tried again'));
    // Lanes share nothing (no files on the node): three lanes, three connects at most, never seven.
    assert.ok(tried.length >= 1 && tried.length <= 3, `one connect per lane: ${JSON.stringify(reported)}`);
    for (const r of reported.filter((x) => !tried.includes(x))) assert.match(r.error?.message ?? '', /not tried again: probe hello-\d had the same address and port/);
  });
}

if (setups().some((s) => s.module.flavour === 'sh-curl')) {
  test('sh-curl: a certificate with another public key is tls-mismatch, and the token is never sent', async (t) => {
    const h = await harness(t);
    const setup = setups().find((s) => s.module.flavour === 'sh-curl')!;
    const path = toolbox(t, setup);
    const other = await createRunCertificate([HOST], 'an interceptor');
    const https = { proto: 'https' as const, address: HOST, port: h.listener.portFor('https') };
    const plan = h.plan([{ ...https, id: 'hello-https', kind: 'hello' }], { spkiSha256Base64: other.spkiSha256Base64 });
    const results = checkShape(await runShAgent(setup, path, setup.module.script(plan)), plan);
    const r = results.get('hello-https')!;
    assert.equal(r.outcome, 'tls-mismatch', JSON.stringify(r));
    assert.equal(r.phase, 'tls');
    assert.equal(h.ledger('hello-https').length, 0);
  });

  test('sh-curl: a plan without a public-key pin leaves https unmeasured', async (t) => {
    const h = await harness(t);
    const setup = setups().find((s) => s.module.flavour === 'sh-curl')!;
    const path = toolbox(t, setup);
    const https = { proto: 'https' as const, address: HOST, port: h.listener.portFor('https') };
    const plan = h.plan([{ ...https, id: 'hello-https', kind: 'hello' }]);
    delete plan.spkiSha256Base64;
    const results = checkShape(await runShAgent(setup, path, setup.module.script(plan)), plan);
    unsupported(results.get('hello-https')!);
    assert.equal(h.ledger('hello-https').length, 0);
  });
}

/** The token a request head carries, in any of the forms the listener reads (listener-admission.ts). */
function tokenIn(head: string): string | undefined {
  const header = (name: string) => new RegExp(`^${name}: *(.*?)\r$`, 'im').exec(head)?.[1];
  const proxy = /^Basic (.*)$/i.exec(header('proxy-authorization') ?? '')?.[1];
  const [user, password] = Buffer.from(proxy ?? '', 'base64').toString('latin1').split(':', 2);
  return header(TOKEN_HEADER) ?? new RegExp(`${TOKEN_HEADER}=([0-9a-f]+)`).exec(header('cookie') ?? '')?.[1] ?? (user === TOKEN_HEADER ? password : undefined);
}

/** Every process's command line on this machine, as `pid: arg arg ...` (those that can be read). */
function commandLines(): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        return [`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ')}`];
      } catch {
        return [];
      }
    });
}

for (const setup of setups().filter((s) => s.module.flavour !== 'sh-tcp')) {
  // Busybox wget has no stall deadline (no -T): a transfer cut by the probe deadline is not measured, since stalled and slow look alike.
  const blind = setup.module.flavour === 'sh-wget' && setup.userland === 'busybox';
  const title = blind
    ? 'a stuck download is not measured (busybox wget cannot tell a stall from a slow transfer), so it is neither retried nor bisected'
    : "a path's first stuck transfer is retried once after the lanes end, then the path MTU is bisected from the node";
  test(`${setup.name}: ${title}`, async (t) => {
    const h = await harness(t);
    const path = toolbox(t, setup);
    // The node's ping: iputils on the GNU userland, busybox's (which cannot set DF) on the busybox one.
    const ping = setup.userland === 'busybox' ? BUSYBOX : which('ping');
    assert.ok(ping !== undefined, 'a ping to link');
    symlinkSync(ping, join(path, 'ping'));
    const blob = h.blobs.get(200_000);
    const head = `HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${blob.bytes.length}\r\n\r\n`;
    const seen: Record<string, string[]> = { flaky: [], limit: [] };
    const stallUnless = (name: string, whole: (query: string) => boolean) =>
      serve(
        t,
        afterRequestHead((socket, query) => {
          seen[name]!.push(query);
          if (whole(query)) socket.end(Buffer.concat([Buffer.from(head), blob.bytes]));
          else socket.write(Buffer.concat([Buffer.from(head), blob.bytes.subarray(0, 5000)]));
        }),
      );
    const flaky = await stallUnless('flaky', (q) => q.includes('attempt=2'));
    const limit = await stallUnless('limit', () => false);
    const download = { kind: 'download' as const, size: blob.bytes.length, sha256: blob.sha256 };
    const plan = h.plan(
      [
        { id: 'dl-flaky', ...download, proto: 'http', address: HOST, port: flaky },
        { id: 'dl-limit', ...download, proto: 'http', address: HOST, port: limit },
      ],
      // curl's stall window is about five seconds (see above): the probe deadline leaves it room.
      { concurrency: 2, deadlines: { connectMs: 1000, stallMs: 1000, probeMs: 9000, totalMs: 18_000 } },
    );
    const run = await runShAgent(setup, path, setup.module.script(plan));
    const results = checkShape(run, plan);
    const retries = run.events.filter((e) => e.t === 'retry');
    const mtu = run.events.filter((e): e is AgentPathMtu => e.t === 'pathmtu');
    if (blind) {
      assert.deepEqual([results.get('dl-flaky')?.outcome, results.get('dl-limit')?.outcome], ['unsupported', 'unsupported']);
      assert.match(results.get('dl-limit')?.error?.message ?? '', /cannot tell a stalled transfer from a slow one/);
      assert.deepEqual([retries, mtu, seen], [[], [], { flaky: ['?probe=dl-flaky'], limit: ['?probe=dl-limit'] }]);
      return;
    }
    assert.deepEqual([results.get('dl-flaky')?.outcome, results.get('dl-limit')?.outcome], ['stalled', 'stalled']);
    assert.deepEqual(
      retries.map((r) => (r.t === 'retry' ? [r.id, r.outcome, r.bytes] : [])).sort(),
      [
        ['dl-flaky', 'ok', blob.bytes.length],
        ['dl-limit', 'stalled', 5000],
      ],
    );
    assert.deepEqual(seen, { flaky: ['?probe=dl-flaky', '?probe=dl-flaky&attempt=2'], limit: ['?probe=dl-limit', '?probe=dl-limit&attempt=2'] });
    assert.equal(mtu.length, 1, 'one bisection per controller address');
    assert.equal(mtu[0]?.to, HOST);
    assert.match(mtu[0]?.command ?? '', /^ping -n -M do -s 1472 -c 1 -W 1 127\.0\.0\.1$/);
    if (setup.userland === 'busybox') {
      assert.deepEqual([mtu[0]?.measured, mtu[0]?.probes], [false, []]);
      assert.match(mtu[0]?.reason ?? '', /not iputils ping/);
    } else {
      assert.deepEqual([mtu[0]?.measured, mtu[0]?.mtu, mtu[0]?.interfaceMtu, mtu[0]?.probes], [true, 65535, 65535, [{ size: 576, ok: true }, { size: 65535, ok: true }]], mtu[0]?.reason);
    }
  });
}

for (const setup of setups().filter((s) => s.module.flavour !== 'sh-tcp')) {
  const client = setup.module.flavour === 'sh-curl' ? 'curl' : 'wget';
  test(`${setup.name}: the token reaches the listener but no command line while the request runs`, async (t) => {
    const h = await harness(t);
    const path = toolbox(t, setup);
    let head = '';
    let during: string[] = [];
    const port = await serve(t, (socket) => {
      socket.on('data', (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n') || during.length > 0) return;
        // The client is waiting for the answer now: read every command line on the machine.
        during = commandLines();
        const body = JSON.stringify({ address: HOST, port: socket.remotePort, node: NODE_NAME });
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
      });
    });
    const plan = h.plan([{ id: 'hello-slow', kind: 'hello', proto: 'http', address: HOST, port }]);
    const results = checkShape(await runShAgent(setup, path, setup.module.script(plan)), plan);
    assert.equal(results.get('hello-slow')?.outcome, 'ok', JSON.stringify(results.get('hello-slow')));
    assert.equal(tokenIn(head), plan.token, `the request carried the token:\n${head}`);
    assert.ok(during.some((l) => l.includes(client) && l.includes(`:${port}`)), `the ${client} request was running when the command lines were read`);
    assert.deepEqual(during.filter((l) => l.includes(plan.token)), [], 'no command line holds the token');
  });
}

/** The processes in process group `pgid`, as `pid comm` (from /proc/PID/stat). */
function groupMembers(pgid: number): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
        return Number(fields[2]) === pgid ? [`${pid} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`] : [];
      } catch {
        return [];
      }
    });
}

// sh-tcp only connects: its probes are over before the session could go.
for (const setup of setups().filter((s) => s.module.flavour !== 'sh-tcp')) {
  test(`${setup.name}: when the session goes (stdout closed mid-run), nothing of the agent is left`, async (t) => {
    const h = await harness(t);
    const path = toolbox(t, setup);
    const hung = await serve(t, () => undefined);
    const probes: PlannedProbe[] = Array.from({ length: 3 }, (_, i) => ({ id: `hung-${i}`, kind: 'hello', proto: 'http', address: HOST, port: hung }));
    // Deadlines far past the waits below: the agent cannot end on its own while the test looks, even under load.
    const plan = h.plan(probes, { concurrency: 3, deadlines: { connectMs: 120_000, stallMs: 120_000, probeMs: 150_000, totalMs: 180_000 } });
    // detached: the agent gets a session and process group of its own, as sshd gives it.
    const child = spawn(join(path, 'sh'), ['-s'], { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: path }, cwd: path, detached: true });
    const pgid = child.pid!;
    t.after(() => {
      if (groupMembers(pgid).length > 0) process.kill(-pgid, 'SIGKILL');
    });
    child.stdin.end(setup.module.script(plan));
    // Once the probes are under way (the facts line is out and the clients are running), the session goes.
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('"t":"facts"')) resolve();
      });
    });
    const client = /\b(curl|wget|nc|busybox)\b/;
    for (let i = 0; i < 1000 && !groupMembers(pgid).some((m) => client.test(m)); i++) await new Promise((r) => setTimeout(r, 20));
    const before = groupMembers(pgid);
    assert.ok(before.some((m) => client.test(m)), `the agent's clients run: ${before.join(', ')}`);
    child.stdout.destroy();
    // The heartbeat is once a second: the group goes within a few, far sooner than the plan's deadlines.
    let left = before;
    for (let i = 0; i < 600 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = groupMembers(pgid);
    }
    assert.deepEqual(left, [], `left after the session went (before: ${before.join(', ')})`);
  });
}

test('busybox is here for these tests (the lab prerequisites install it)', () => {
  assert.ok(BUSYBOX !== undefined && existsSync(BUSYBOX), 'busybox on PATH');
});
