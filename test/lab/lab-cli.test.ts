/**
 * `twoway lab` as a person types it: up, status (text and --json), fault, up again, down, status
 * after down. Needs root, like every lab test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LAB_SCENARIOS, labDown } from '../../controller/lab/index.js';
import { hasSshd } from '../../controller/lab/scenarios-model.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function twoway(args: string[], timeoutMs = 60_000): Promise<Ran> {
  const env = { ...process.env };
  delete env.TWOWAY_LAB_DIR;
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface StatusJson {
  up: boolean;
  present: boolean;
  namespaces: string[];
  guardRoute: boolean;
  faults: string[];
  nodes: { name: string; netnsPresent: boolean; sshd?: { pid?: number; alive: boolean } }[];
}

test('twoway lab: up, status, fault, up again, down, status', { timeout: 180_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'the lab test runs as root');
  t.after(() => labDown());
  await labDown();

  const up = await twoway(['lab', 'up']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /^lab: ready; try: twoway run --inventory \/var\/lib\/twoway-lab\/inventory\.yaml$/m);

  const status = await twoway(['lab', 'status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^lab: up\n/);
  assert.match(status.stdout, /^guard route \(root namespace\): present$/m);
  assert.match(status.stdout, /^faults: none$/m);
  for (const s of LAB_SCENARIOS) {
    const line = status.stdout.split('\n').find((l) => l.startsWith(`  ${s.node} `));
    assert.ok(line !== undefined, `${s.node} is listed`);
    assert.match(line, hasSshd(s) ? /sshd pid \d+ alive$/ : /no sshd \(by design\)$/, line);
  }

  const json = await twoway(['lab', 'status', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as StatusJson;
  assert.equal(parsed.up, true);
  assert.equal(parsed.guardRoute, true);
  assert.deepEqual(parsed.nodes.map((n) => n.name), LAB_SCENARIOS.map((s) => s.node));
  assert.ok(parsed.nodes.every((n) => n.netnsPresent));
  assert.equal(parsed.nodes.filter((n) => n.sshd?.alive === true).length, LAB_SCENARIOS.filter(hasSshd).length);

  const fault = await twoway(['lab', 'fault', 'subnet-egress', 'on']);
  assert.equal(fault.code, 0, fault.stderr);
  assert.deepEqual((JSON.parse((await twoway(['lab', 'status', '--json'])).stdout) as StatusJson).faults, ['subnet-egress']);

  // A demo that died mid-fault left it on: the next up says so and turns it off.
  const again = await twoway(['lab', 'up']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /^lab: lab is already up \(built [^)]+\); turned off the lab-wide fault\(s\) left on: subnet-egress$/m);
  assert.doesNotMatch(again.stderr, /ready; try/);
  assert.match((await twoway(['lab', 'status'])).stdout, /^faults: none$/m);

  const down = await twoway(['lab', 'down']);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stderr, /^lab: removed: .*twl-ctl.*route unreachable 10\.231\.0\.0\/16, \/var\/lib\/twoway-lab$/m);
  assert.match(down.stderr, /^lab: down in \d+ ms$/m);

  const after = await twoway(['lab', 'status']);
  assert.equal(after.code, 3, 'status exits 3 when the lab is not up');
  assert.match(after.stdout, /^lab: down\n/);
  assert.match(after.stdout, /^namespaces: none$/m);
  assert.match(after.stdout, /^guard route \(root namespace\): absent$/m);
  const afterJson = JSON.parse((await twoway(['lab', 'status', '--json'])).stdout) as StatusJson;
  assert.equal(afterJson.up, false);
  assert.equal(afterJson.present, false);
  assert.deepEqual(afterJson.namespaces, []);

  const downAgain = await twoway(['lab', 'down']);
  assert.equal(downAgain.code, 0, downAgain.stderr);
  assert.match(downAgain.stderr, /^lab: nothing to remove$/m);
});
