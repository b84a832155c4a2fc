/**
 * Issue 14 item 4 on loopback: `twoway run` whose SSH session breaks mid-run. A stand-in first on
 * PATH plays ssh: it runs the remote command here (the real runtime detection and the real Node
 * agent, calling back to the real listener), passes the agent's lines through until three probe
 * results, then keeps the next four to itself (the agent reported them, so their callbacks reached
 * the listener and were answered: the lines are lost on the way back, as over a link that died) and
 * breaks the session the way ssh does when its keep-alives go unanswered. The lab's
 * test/lab/session-lost.test.ts cuts a real link.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { UnfinishedFields } from '../../../src/evidence.js';
import type { ProbeResult } from '../../../src/protocol.js';
import type { JsonlRecord } from '../../../src/render/jsonl.js';
import type { Report } from '../../../src/report.js';
import { BIN, tempDir } from '../../helpers/cli.js';
import { sessionEvidenceOf } from '../../helpers/evidence.js';
import { LOOPBACK } from '../../helpers/loopback-server.js';

const PASSED_ON = 3;
const KEPT_BACK = 4;

/** The stand-in ssh: `--` DESTINATION COMMAND run by sh here, its process group killed when the session "breaks". */
function standInSsh(keptBack: string): string {
  return `#!${process.execPath}
const { spawn } = require('node:child_process');
const { appendFileSync } = require('node:fs');
const args = process.argv.slice(2);
const child = spawn('sh', ['-c', args[args.indexOf('--') + 2]], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
process.stdin.pipe(child.stdin);
let buffered = '';
let probes = 0;
let broken = false;
child.stdout.setEncoding('utf8').on('data', (text) => {
  buffered += text;
  for (let nl = buffered.indexOf('\\n'); nl >= 0 && !broken; nl = buffered.indexOf('\\n')) {
    const line = buffered.slice(0, nl + 1);
    buffered = buffered.slice(nl + 1);
    const probe = line.startsWith('{"t":"probe"') ? ++probes : 0;
    if (probe === 0 || probe <= ${PASSED_ON}) process.stdout.write(line);
    else appendFileSync(${JSON.stringify(keptBack)}, line);
    if (probe === ${PASSED_ON + KEPT_BACK}) {
      broken = true;
      process.stderr.write('Timeout, server ${LOOPBACK} not responding.\\n');
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
      process.exit(255);
    }
  }
});
child.on('exit', (code) => { if (!broken) process.exit(code === null ? 1 : code); });
`;
}

test('a session that breaks mid-run: the results that came back keep their verdicts, the callbacks the listener saw are kept, the node names the break', (t) => {
  const dir = tempDir(t, 'twoway-session-lost-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const keptBack = join(dir, 'kept-back.jsonl');
  writeFileSync(join(bin, 'ssh'), standInSsh(keptBack));
  chmodSync(join(bin, 'ssh'), 0o755);
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, `nodes:\n  - name: loop\n    address: ${LOOPBACK}\n`);
  const json = join(dir, 'report.json');
  const jsonl = join(dir, 'run.jsonl');
  // The idle holds keep the agent busy after its other probes, so the session cannot end on its own first.
  const r = spawnSync(process.execPath, [BIN, 'run', '--inventory', inventory, '--port', '0', '--ssl-port', '0', '--no-alternates', '--idle-hold', '30', '--json', json, '--jsonl', jsonl], {
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, NO_COLOR: '1', PATH: `${bin}:${process.env.PATH ?? ''}` },
  });
  assert.equal(r.status, 1, r.stderr);

  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  const node = report.nodes[0]!;
  assert.equal(node.nodeVerdict, 'ssh-session-lost');
  const lost = sessionEvidenceOf(node).lost;
  assert.equal(lost?.results, PASSED_ON);
  assert.match(r.stdout, /^x loop {2}SSH session lost: the SSH session broke after 3 of \d+ probe results; last line at \d+\.\d s \(probe [\w-]+: ok\), ssh gave up at /m);

  const heldBack = readFileSync(keptBack, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as ProbeResult);
  assert.equal(heldBack.length, KEPT_BACK);
  const callbacks = node.paths.filter((p) => p.direction === 'callback');
  const pathOf = (id: string) => callbacks.find((p) => (p.evidence as UnfinishedFields).notMeasured?.includes(id));
  for (const result of heldBack) {
    assert.equal(result.outcome, 'ok', `${result.id} passed on loopback`);
    const path = pathOf(result.id);
    assert.ok(path, `${result.id}: its line never came back, so its path lists it as not measured`);
    const seen = (path.evidence as UnfinishedFields).listenerSaw?.find((w) => w.probe === result.id);
    assert.equal(seen?.completed, true, `${result.id}: the listener's ledger witnessed its callback and answered it`);
  }
  // The three that came back are measured: in no path's not-measured list, and their paths' verdicts rest on them.
  const cameBack = readFileSync(jsonl, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as JsonlRecord)
    .flatMap((rec) => (rec.type === 'agent-event' && rec.event.t === 'probe' ? [rec.event] : []));
  assert.equal(cameBack.length, PASSED_ON);
  for (const result of cameBack) {
    assert.equal(pathOf(result.id), undefined, `${result.id} came back: measured`);
    const path = callbacks.find((p) => p.port === report.run.settings[result.id.includes('https') ? 'httpsPort' : 'httpPort']);
    assert.equal(path?.verdict, 'ok', path?.summary);
  }
});
