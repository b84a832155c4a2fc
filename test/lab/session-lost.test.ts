/**
 * Issue 14 item 4 on the lab: a node whose link is cut for good while its agent is working. The
 * run is driven by its events: once the agent's results for both status probes have come back over
 * SSH (its idle holds, opened first, still sit quiet), the node's link goes down inside its
 * namespace. ssh then gives up on the session; the results that arrived must be in the report with
 * their verdicts, the holds not measured with where the session broke and with what the listener
 * saw of them, and the node verdict must name the break.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, setNodeLink } from '../../controller/lab/index.js';
import { CALLBACK_PORTS, CTL_ADDRESS } from '../../controller/lab/plan.js';
import type { UnfinishedFields } from '../../src/evidence.js';
import type { AgentEvent, ProbeResult } from '../../src/protocol.js';
import type { JsonlRecord } from '../../src/render/jsonl.js';
import type { Report } from '../../src/report.js';
import { sessionEvidenceOf } from '../helpers/evidence.js';
import { labInventoryOf } from './lab-inventory.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
const NODE = 'healthy';
/** Bounds on waits that end on an event; they only stop a broken run from hanging. */
const EVENT_BOUND_MS = 60_000;

let work = '';
let inventory = '';
let linkDown = false;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-session-lost-'));
  inventory = labInventoryOf((await labUp()).paths.inventory, work, [NODE]);
});
after(async () => {
  if (linkDown) await setNodeLink(NODE, true);
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

/** The node's agent events in the run's JSON Lines stream so far (a line still being written is skipped). */
function agentEvents(jsonl: string): AgentEvent[] {
  if (!existsSync(jsonl)) return [];
  return readFileSync(jsonl, 'utf8').split('\n').flatMap((line) => {
    try {
      const record = JSON.parse(line) as JsonlRecord;
      return record.type === 'agent-event' && record.node === NODE ? [record.event] : [];
    } catch {
      return [];
    }
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + EVENT_BOUND_MS;
  while (!check()) {
    assert.ok(Date.now() < deadline, `${what}: not within ${EVENT_BOUND_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const probeResults = (events: readonly AgentEvent[]): ProbeResult[] => events.filter((e): e is ProbeResult => e.t === 'probe');

test('lab session lost: a node cut off for good mid-run keeps the results that arrived, and its verdict names the break', { timeout: 180_000 }, async () => {
  const json = join(work, 'cut.json');
  const jsonl = join(work, 'cut.jsonl');
  const child = spawn(process.execPath, [BIN, 'run', '--inventory', inventory, '--idle-hold', '60', '--json', json, '--jsonl', jsonl, '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    await until('the agent reports both status probes', () => {
      const ids = probeResults(agentEvents(jsonl)).map((r) => r.id);
      return ids.includes('status-http-0') && ids.includes('status-https-0');
    });
    await setNodeLink(NODE, false);
    linkDown = true;
    assert.equal(await exited, 1, stderr);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  const events = agentEvents(jsonl);
  const arrived = probeResults(events);
  assert.deepEqual(arrived.filter((r) => r.outcome !== 'ok').map((r) => r.id), [], 'the healthy node passed everything it reported before the cut');
  const node = report.nodes.find((n) => n.name === NODE)!;
  assert.equal(node.nodeVerdict, 'ssh-session-lost');
  assert.equal(node.verdict, 'ssh-session-lost');
  assert.equal(report.summary['ssh-session-lost'], 1);

  const lost = sessionEvidenceOf(node).lost;
  assert.ok(lost !== undefined, 'the node evidence says where the session broke');
  assert.equal(lost.results, arrived.length, 'every result that came back is counted');
  assert.ok(lost.results < lost.planned, 'the idle holds never reported');
  const last = events.at(-1)!;
  assert.equal(lost.lastLine, last.t === 'probe' ? `probe ${last.id}: ${last.outcome}` : last.t);
  assert.match(sessionEvidenceOf(node).stderr, /not responding|Broken pipe|Connection (reset|closed|timed out)|No route to host/);
  assert.match(stdout, new RegExp(`^x ${NODE} {2}SSH session lost: the SSH session broke after ${lost.results} of ${lost.planned} probe results; last line at `, 'm'));

  const arrivedIds = new Set(arrived.map((r) => r.id));
  for (const [proto, port] of [['http', CALLBACK_PORTS[0]], ['https', CALLBACK_PORTS[1]]] as const) {
    const path = node.paths.find((p) => p.direction === 'callback' && p.to === CTL_ADDRESS && p.port === port);
    assert.ok(path, `callback path ${proto}:${port}`);
    assert.equal(path.verdict, 'ok', `${proto}: the results that arrived keep their verdict: ${path.summary}`);
    assert.ok(path.evidence.kind === 'measured', `${proto}: measured evidence, found ${path.evidence.kind}`);
    const unfinished: UnfinishedFields = path.evidence;
    assert.ok(unfinished.notMeasured?.includes(`hold-${proto}-0`), `${proto}: the hold is not measured`);
    assert.deepEqual(unfinished.notMeasured?.filter((id) => arrivedIds.has(id)), [], `${proto}: nothing that arrived is called not measured`);
    assert.match(unfinished.notMeasuredWhy ?? '', /^the SSH session broke after \d+ of \d+ probe results; last line at /);
    // The hold opened before anything else: the listener saw its callback even though the agent's line never came.
    const hold = unfinished.listenerSaw?.find((w) => w.probe === `hold-${proto}-0`);
    assert.equal(hold?.completed, true, `${proto}: the listener saw the hold open`);
    assert.match(path.summary, /; the listener saw idle hold \(answered\)/);
  }
  assert.equal(node.paths.find((p) => p.direction === 'forward' && p.port === 22)?.verdict, 'ok', 'the forward probes, done before the cut, keep their verdicts');
});
