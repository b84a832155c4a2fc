/**
 * Issue 14 item 2 on the lab: a node's run token replayed from another node of the run is refused,
 * counted as a stray, and shown on the node whose token it was; a NAT in front of a node (the snat
 * scenario) still calls back and is still diagnosed source-mismatch. Meanwhile no command line on the
 * machine holds the token, nor does the --verbose output or the report. The token is taken the way an
 * attacker on the controller's side of the session could: a stand-in `ssh` first on PATH copies what
 * the controller streams to the node.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labDown, labUp } from '../../controller/lab/index.js';
import { CALLBACK_PORTS, CTL_ADDRESS, nodeNetns } from '../../controller/lab/plan.js';
import { SOURCE_REFUSAL } from '../../controller/wire/source-binding.js';
import { PATHS, TOKEN_HEADER } from '../../src/protocol.js';
import type { Report } from '../../src/report.js';
import { labInventoryOf } from './lab-inventory.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
const VICTIM = 'healthy';
const REPLAYER = 'fw-reset443';
const BOUND_MS = 120_000;

let work = '';
let inventory = '';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-replay-'));
  inventory = labInventoryOf((await labUp()).paths.inventory, work, [VICTIM, REPLAYER, 'snat']);
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every process's command line, as `pid: args` (those still there to read). */
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

/** The victim's token and its first http hello probe id, from the copies of what went to the nodes. */
function capturedToken(dir: string): string | undefined {
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), 'latin1');
    if (!text.includes(`"node":"${VICTIM}"`)) continue;
    const token = /"token":"([0-9a-f]{64})"/.exec(text)?.[1];
    if (token !== undefined) return token;
  }
  return undefined;
}

test('lab replay: a node\'s token used from another node is refused, stray, and on the node\'s report; the NAT node is still source-mismatch', { timeout: 240_000 }, async () => {
  const capture = join(work, 'capture');
  const shims = join(work, 'bin');
  spawnSync('mkdir', ['-p', capture, shims]);
  const realSsh = spawnSync('sh', ['-c', 'command -v ssh'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(shims, 'ssh'), `#!/bin/sh\ntee "${capture}/$$.in" | exec ${realSsh} "$@"\n`);
  chmodSync(join(shims, 'ssh'), 0o755);
  const json = join(work, 'replay.json');
  const run = spawn(process.execPath, [BIN, 'run', '--inventory', inventory, '--json', json, '--verbose'], {
    env: { ...process.env, NO_COLOR: '1', PATH: `${shims}:${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  run.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  run.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<number | null>((resolve) => run.once('close', (code) => resolve(code)));

  let token: string | undefined;
  const deadline = Date.now() + BOUND_MS;
  while (token === undefined && Date.now() < deadline) {
    token = capturedToken(capture);
    if (token === undefined) await sleep(100);
  }
  assert.ok(token !== undefined, 'the victim\'s plan went through the stand-in ssh');
  // The lab's namespaces share this PID namespace: the controller's, ssh's and the nodes' agents' command lines are all here.
  const secretArgv = (): string[] => commandLines().filter((l) => l.includes(token!));
  // From the other node's namespace, while the run's listener is up: the token travels on stdin, not argv.
  const url = `http://${CTL_ADDRESS}:${CALLBACK_PORTS[0]}${PATHS.hello}?probe=hello-http-0`;
  let status = '';
  for (let i = 0; i < 50 && !/^[1-9]\d{2}$/.test(status); i++) {
    status = spawnSync('ip', ['netns', 'exec', nodeNetns(REPLAYER), 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', '-H', '@-', url], {
      encoding: 'utf8',
      input: `${TOKEN_HEADER}: ${token}\n`,
    }).stdout.trim();
    if (status === '000') await sleep(200);
  }
  assert.equal(status, '403', 'the replayed token is refused');
  assert.deepEqual(secretArgv(), [], 'no command line holds the token while the run goes on');
  await exited;
  assert.ok(!output.includes(token), 'the token is not in the --verbose output');
  assert.ok(!readFileSync(json, 'utf8').includes(token), 'the token is not in the report');

  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  const replayer = report.nodes.find((n) => n.name === REPLAYER)!;
  const victim = report.nodes.find((n) => n.name === VICTIM)!;
  const replayGroup = report.run.strays?.find((s) => s.node === VICTIM);
  assert.deepEqual(
    replayGroup && [replayGroup.source, replayGroup.reason, replayGroup.count],
    [replayer.addresses[0], SOURCE_REFUSAL.otherNode, 1],
    JSON.stringify(report.run.strays),
  );
  assert.deepEqual(victim.tokenStrays?.map((s) => s.source), [replayer.addresses[0]]);
  assert.equal(victim.verdict, 'ok', 'the victim\'s own paths are not made red by the replay');
  assert.equal(report.nodes.find((n) => n.name === 'snat')?.verdict, 'source-mismatch');
  // Only the replay is a stray: the nodes' own calls, and the NAT's, were all served.
  assert.equal(report.run.strayRequests, 1, JSON.stringify(report.run.strays));
});
