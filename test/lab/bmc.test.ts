/**
 * Issue 15 on the lab: the BMC scenarios (controller/lab/scenarios-bmc.ts) tested over Redfish by a
 * real run, and the safety rules: the busy slot is never touched, media is ejected also after an
 * interrupted run, sessions are logged out, and the BMC password is on no command line and in no
 * report.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bmcStateFile } from '../../controller/lab/bmc.js';
import { checkLabReport } from '../../controller/lab/expectations.js';
import { labDown, labUp } from '../../controller/lab/index.js';
import type { StandInState } from '../../controller/lab/redfish/server.js';
import { BMC_SCENARIOS, BUSY_IMAGE } from '../../controller/lab/scenarios-bmc.js';
import { BMC_PASSWORD_FILE, labPaths } from '../../controller/lab/state.js';
import type { Report } from '../../src/report.js';
import { runTwoway } from './lab-run.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
let inventory = '';
let work = '';
let password = '';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-bmc-'));
  inventory = (await labUp()).paths.inventory;
  password = readFileSync(join(labPaths().stateDir, BMC_PASSWORD_FILE), 'utf8').trim();
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

const bmcState = (node: string): StandInState => JSON.parse(readFileSync(bmcStateFile(labPaths(), node), 'utf8')) as StandInState;

test('lab bmc: each BMC scenario gets its verdicts; the busy slot is untouched, the others are ejected, sessions logged out', { timeout: 240_000 }, () => {
  const run = runTwoway(work, 'bmc', inventory, ['--limit', BMC_SCENARIOS.map((s) => s.node).join(',')]);
  const checks = checkLabReport(run.report, BMC_SCENARIOS);
  assert.deepEqual(checks.filter((c) => !c.ok), [], JSON.stringify(run.report.nodes.map((n) => [n.name, n.verdict, n.paths.map((p) => `${p.direction}:${p.port}:${p.verdict}: ${p.summary}`)]), null, 1));
  const busy = bmcState('bmc-busy');
  assert.deepEqual(busy.actions, [], 'nothing was inserted into or ejected from the busy BMC');
  assert.equal(busy.managers[0]!.slots[0]!.image, BUSY_IMAGE);
  for (const node of ['bmc-ok', 'bmc-blocked', 'bmc-tls']) {
    const state = bmcState(node);
    assert.ok(state.actions.some((a) => a.action === 'insert'), `${node}: asked to insert`);
    assert.equal(state.actions.at(-1)?.action, 'eject', `${node}: the last action is an eject`);
    assert.ok(state.managers[0]!.slots.every((s) => !s.inserted && s.image === undefined), `${node}: no media left`);
    assert.equal(state.sessions, 0, `${node}: logged out`);
  }
  assert.ok(!readFileSync(join(work, 'bmc.json'), 'utf8').includes(password) && !readFileSync(join(work, 'bmc.jsonl'), 'utf8').includes(password), 'the password is in no report');
});

/** Every command line under /proc that mentions twoway, read while the run is going. */
function twowayCommandLines(): string[] {
  return readdirSync('/proc')
    .filter((d) => /^[0-9]+$/.test(d))
    .flatMap((pid) => {
      try {
        const cl = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cl.includes('twoway') ? [cl] : [];
      } catch {
        return [];
      }
    });
}

test('lab bmc: SIGINT while the blocked BMC is still trying still ejects its media; no command line carries the password', { timeout: 120_000 }, async () => {
  const json = join(work, 'interrupted.json');
  const child = spawn(process.execPath, [BIN, 'run', '--inventory', inventory, '--limit', 'bmc-blocked', '--json', json, '--quiet'], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The blocked BMC spends 10 s on each image fetch: a few seconds in, its first insert is under way.
  await new Promise((r) => setTimeout(r, 5000));
  const seen = twowayCommandLines();
  assert.ok(seen.length > 0, 'the run is going');
  assert.ok(seen.every((cl) => !cl.includes(password)), 'no process of the run has the password on its command line');
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130);
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  assert.equal(report.run.interrupted, true);
  const state = bmcState('bmc-blocked');
  assert.ok(state.managers[0]!.slots.every((s) => !s.inserted && s.image === undefined), 'the interrupted run left no media in the BMC');
  assert.equal(state.actions.filter((a) => a.action === 'insert').length, state.actions.filter((a) => a.action === 'eject').length, 'every insert was ejected');
  // The interrupted BMC still has its Redfish paths: what the in-flight insert showed, the rest not measured (interrupted).
  const redfish = report.nodes.find((n) => n.name === 'bmc-blocked')!.paths.filter((p) => p.evidence.kind === 'redfish');
  assert.deepEqual(redfish.map((p) => p.proto), ['http', 'https']);
  const untried = redfish.filter((p) => p.evidence.kind === 'redfish' && p.evidence.skipped === 'interrupted');
  assert.ok(untried.length > 0 && untried.every((p) => p.verdict === 'not-measured'), 'the probes not tried are not measured, because of the interrupt');
});
