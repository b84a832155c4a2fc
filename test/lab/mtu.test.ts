/**
 * The path MTU measured on the lab (issue 13 item 3) and an outage told from a size limit (issue 14
 * item 3). The mtu node's small link has the MTU drawn for this lab build (TWOWAY_LAB_SEED picks
 * it): the controller's DF-set echoes must find exactly that figure, and every pasted MTU fix must
 * carry it. The slow node's link goes down for a few seconds while its ladder runs: its stalled
 * transfers are an outage, not an MTU black hole. Needs root, like every lab test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { checkLabReport } from '../../controller/lab/expectations.js';
import { type LabParams, labDown, labScenarios, labUp } from '../../controller/lab/index.js';
import { RTR_NETNS, nodeAddress, routerIface } from '../../controller/lab/plan.js';
import { runIn } from '../../controller/lab/run.js';
import { describeLabParams } from '../../controller/lab/params.js';
import type { Report } from '../../src/report.js';
import type { JsonlRecord } from '../../src/render/jsonl.js';
import { evidenceOf } from '../helpers/evidence.js';
import { labInventoryOf } from './lab-inventory.js';
import { runTwoway } from './lab-run.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
/** The slow node's subnet (controller/lab/scenarios.ts). */
const SLOW_SUBNET = 8;
/** Longer than the agent's stall deadline (5 s), so a transfer in flight stalls; then the link comes back. */
const LINK_DOWN_MS = 8_000;

let inventory = '';
let work = '';
let params: LabParams;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-mtu-'));
  const up = await labUp();
  inventory = up.paths.inventory;
  params = up.params;
  process.stdout.write(`# lab parameters: ${describeLabParams(params)}\n`);
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

test('lab mtu: the controller measures the drawn path MTU, and every pasted MTU fix carries it', () => {
  const { report } = runTwoway(work, 'mtu', labInventoryOf(inventory, work, ['mtu']));
  const node = report.nodes.find((n) => n.name === 'mtu');
  assert.ok(node);
  const seen = node.paths.map((p) => `${p.direction} ${p.port} ${p.verdict}: ${p.summary}`).join('\n');
  assert.equal(node.verdict, 'mtu-blackhole', seen);
  assert.deepEqual(checkLabReport(report, labScenarios(params).filter((s) => s.node === 'mtu')).filter((c) => !c.ok), [], 'the mtu scenario\'s expectations');
  const path = node.paths.find((p) => p.direction === 'callback' && p.port === report.run.settings.httpPort);
  const boundary = evidenceOf(path, 'size-boundary');
  const fromController = boundary.pathMtu?.find((m) => m.from === 'controller');
  assert.ok(fromController, 'the controller measured the path MTU');
  process.stdout.write(`# seed ${params.seed}: drawn MTU ${params.mtu}, measured ${fromController.mtu ?? 'none'} (${fromController.probes.length} echoes)\n`);
  // Echo sizes are exact (payload + 28 = packet size for IPv4): the bisection closes on the link's MTU.
  assert.equal(fromController.measured, true, fromController.reason);
  assert.equal(fromController.mtu, params.mtu);
  assert.equal(fromController.below, undefined);
  assert.ok(fromController.probes.length <= 12);
  assert.match(path!.summary, new RegExp(`path MTU ${params.mtu} measured from the controller`));
  // The node's side: its agent bisects toward the controller address after retrying the stalled size.
  const fromNode = boundary.pathMtu?.find((m) => m.from === 'node');
  assert.ok(fromNode, 'the node side is in the evidence, measured or not');
  process.stdout.write(`# from the node: ${fromNode.measured ? `${fromNode.mtu} (${fromNode.probes.length} echoes)` : `not measured: ${fromNode.reason}`}; retried: ${JSON.stringify(boundary.retried ?? [])}\n`);
  // The node's echoes cross the small link inward, where a veth accepts up to its MTU plus a VLAN header
  // (4 bytes); their answers may come back fragmented. The fixes take the smaller figure, the controller's.
  if (fromNode.measured) assert.ok(fromNode.mtu! >= params.mtu && fromNode.mtu! <= params.mtu + 4, `the node's figure ${fromNode.mtu} is the drawn ${params.mtu} (up to 4 over)`);
  assert.ok((boundary.retried ?? []).length > 0 && boundary.retried!.every((r) => r.outcome !== 'ok'), 'the stalled size stalled again when retried');

  const lines = (node.remedies ?? []).flatMap((r) => [r.title, ...r.lines]);
  const mtuLines = lines.filter((l) => /\bmtu \d|set-mss \d|maxseg size set \d|path MTU is \d/.test(l));
  assert.ok(mtuLines.some((l) => l.includes(`mtu ${params.mtu}`)), `the interface MTU fix: ${lines.join('\n')}`);
  assert.ok(mtuLines.some((l) => l.includes(`--set-mss ${params.mtu - 40}`)), 'the MSS clamp for other routers');
  assert.ok(lines.some((l) => /fragmentation needed/.test(l) && l.includes(`path MTU is ${params.mtu}`)), 'the frag-needed advice');
  for (const l of mtuLines) assert.ok(l.includes(String(params.mtu)) || l.includes(String(params.mtu - 40)), `an MTU line without the measured figure: ${l}`);
  if (params.mtu !== 1400) assert.ok(!lines.some((l) => /\b1400\b/.test(l)), 'no constant 1400 where another MTU was drawn');
});

/** Agent events of `node` written so far to a run's JSON Lines stream. */
function eventsSoFar(jsonl: string, node: string): JsonlRecord[] {
  if (!existsSync(jsonl)) return [];
  return readFileSync(jsonl, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line) as JsonlRecord)
    .filter((r) => r.type === 'agent-event' && r.node === node);
}

test('lab mtu: a link down for a few seconds mid-ladder is an outage, not an MTU black hole', async () => {
  const json = join(work, 'outage.json');
  const jsonl = join(work, 'outage.jsonl');
  const child = spawn(process.execPath, [BIN, 'run', '--inventory', labInventoryOf(inventory, work, ['slow']), '--json', json, '--jsonl', jsonl, '--quiet'], {
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const iface = routerIface(SLOW_SUBNET);
  try {
    // The downloads start once the plain-HTTP hello has passed; wait for it (bounded), then a moment more.
    let helloSeen = false;
    for (let i = 0; i < 600 && !helloSeen; i++) {
      helloSeen = eventsSoFar(jsonl, 'slow').some((r) => r.type === 'agent-event' && r.event.t === 'probe' && r.event.id === 'hello-http-0' && r.event.outcome === 'ok');
      if (!helloSeen) await sleep(100);
    }
    assert.ok(helloSeen, 'the slow node\'s hello passed within 60 s');
    await sleep(1_500);
    await runIn(RTR_NETNS, 'ip', ['link', 'set', 'dev', iface, 'down']);
    await sleep(LINK_DOWN_MS);
  } finally {
    await runIn(RTR_NETNS, 'ip', ['link', 'set', 'dev', iface, 'up']);
  }
  const code = await Promise.race([exited, sleep(200_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') child.kill('SIGKILL');
  assert.notEqual(code, 'timeout', 'twoway run finished');
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  const node = report.nodes.find((n) => n.name === 'slow');
  assert.ok(node);
  assert.notEqual(node.verdict, 'mtu-blackhole');
  assert.ok(!node.paths.some((p) => p.verdict === 'mtu-blackhole'), node.paths.map((p) => `${p.port} ${p.verdict}: ${p.summary}`).join('\n'));
  const http = node.paths.find((p) => p.direction === 'callback' && p.port === report.run.settings.httpPort);
  assert.equal(http?.verdict, 'path-outage', http?.summary);
  const outage = evidenceOf(http, 'outage');
  assert.ok(outage.notSize.length > 0);
  assert.match(http!.summary, /not for its size/);
  const echo = outage.pathMtu?.find((m) => m.from === 'controller' && m.to === nodeAddress(SLOW_SUBNET));
  process.stdout.write(`# outage: stalled at byte ${outage.stallAt}; not size: ${outage.notSize.join('; ')}; echo after: ${echo?.measured === true ? `${echo.mtu} of ${echo.interfaceMtu}` : (echo?.reason ?? 'none')}; retried: ${JSON.stringify(outage.retried ?? [])}\n`);
  assert.ok((outage.retried ?? []).length > 0, 'the agent retried the first stalled size');
  assert.ok((node.remedies ?? []).some((r) => /^Transient outage/.test(r.title)), 'rerun and look for link flaps');
});
