/**
 * The lab's prerequisites, without a lab: which packages install which missing tools, the command a
 * person is told to run, the refusal for someone who is not root (also through `twoway demo`), and
 * where the state directory may not live. No namespaces are made here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REQUIRED_TOOLS, type RequiredTool, installArgs, installCommandText, missingTools, notRootMessage } from '../../../controller/lab/prereq.js';
import { LAB_LOCK_FILE, labPaths } from '../../../controller/lab/state.js';

const BIN = fileURLToPath(new URL('../../../../bin/twoway.js', import.meta.url));

function tool(command: string): RequiredTool {
  const t = REQUIRED_TOOLS.find((x) => x.command === command);
  assert.ok(t, command);
  return t;
}

test('missing tools: only the ones the check says are absent, in table order', () => {
  const absent = new Set(['tc', 'sshd', 'ssh-keygen']);
  assert.deepEqual(missingTools(REQUIRED_TOOLS, (t) => !absent.has(t.command)).map((t) => t.command), ['sshd', 'ssh-keygen', 'tc']);
  assert.deepEqual(missingTools(REQUIRED_TOOLS, () => true), []);
});

test('install arguments: each package once, in the order the tools need them', () => {
  const missing = ['ssh', 'ip', 'ssh-keygen', 'tc', 'mount'].map(tool);
  assert.deepEqual(installArgs(missing), ['install', '-y', '--no-install-recommends', 'openssh-client', 'iproute2', 'mount']);
});

test('the printed install command updates the package lists first, with sudo for a non-root user', () => {
  const missing = [tool('sshd'), tool('nft')];
  assert.equal(installCommandText(missing, false), 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server nftables');
  assert.equal(
    installCommandText(missing, true),
    'sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server nftables',
  );
});

test('non-root refusal: says root is needed, and names what else to install only when something is missing', () => {
  assert.equal(notRootMessage([]), 'the lab needs root (it creates network namespaces and runs sshd); run it with sudo.');
  const withMissing = notRootMessage([tool('busybox')]);
  assert.match(withMissing, /^the lab needs root .* run it with sudo\. It also needs busybox; install them with:\n {2}sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends busybox$/);
});

test('state directory: never under /run; the lock is one file per machine whatever the directory', () => {
  assert.throws(() => labPaths({ TWOWAY_LAB_DIR: '/run/twoway-lab' }), /must not be under \/run/);
  assert.throws(() => labPaths({ TWOWAY_LAB_DIR: '/run' }), /must not be under \/run/);
  const a = labPaths({ TWOWAY_LAB_DIR: '/tmp/twl-a' });
  const b = labPaths({ TWOWAY_LAB_DIR: '/tmp/twl-b/' });
  assert.equal(b.stateDir, '/tmp/twl-b');
  assert.equal(a.lockFile, LAB_LOCK_FILE);
  assert.equal(b.lockFile, LAB_LOCK_FILE);
  assert.equal(labPaths({}).lockFile, LAB_LOCK_FILE);
  assert.equal(labPaths({}).stateDir, '/var/lib/twoway-lab');
});

test('the lock lives where only root creates files, apart from the flock files people hold around lab sessions', () => {
  const dir = statSync(dirname(LAB_LOCK_FILE));
  assert.equal(dir.uid, 0, `${dirname(LAB_LOCK_FILE)} is root's`);
  assert.equal(dir.mode & 0o022, 0, `${dirname(LAB_LOCK_FILE)} is writable by root alone (no user can plant a lock there)`);
  assert.ok(!['/run/twoway-lab.lock', '/run/twoway-lab-helpers.lock'].includes(LAB_LOCK_FILE));
});

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/**
 * As root, the CLI is re-run as nobody, who must be able to read the checkout (CI's is under /tmp/ci,
 * readable by all). A checkout nobody cannot read would make the CLI fail with Node's exit 1 instead
 * of the lab's refusal: say that, rather than fail on the exit code or skip.
 */
function assertNobodyCanRead(): void {
  if (process.getuid?.() !== 0) return;
  const r = spawnSync('setpriv', [...NOBODY, 'test', '-r', BIN], { stdio: 'ignore' });
  assert.equal(
    r.status,
    0,
    `nobody (uid 65534) cannot read ${BIN}: as root, this test runs the CLI as nobody to see the non-root refusal; make the checkout readable by others (chmod o+rX on it and its parents) or run the tests as a user who is not root`,
  );
}

/** Runs the CLI as a user who is not root: as nobody when this test runs as root, as itself otherwise. */
function runAsNonRoot(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assertNobodyCanRead();
  const [cmd, argv] =
    process.getuid?.() === 0
      ? ['setpriv', [...NOBODY, process.execPath, BIN, ...args]]
      : [process.execPath, [BIN, ...args]];
  const child = spawn(cmd, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TWOWAY_LAB_DIR: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('demo as a non-root user: the lab\'s own refusal is what it prints, and nothing is torn down', { timeout: 40_000 }, async () => {
  const r = await runAsNonRoot(['demo']);
  assert.equal(r.code, 2, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('twoway: '));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0] ?? '', /^twoway: the lab needs root \(it creates network namespaces and runs sshd\); run it with sudo\./);
  assert.doesNotMatch(r.stderr, /torn down|removed:/);
});

test('lab up and lab down as a non-root user: the same refusal, exit 2', { timeout: 40_000 }, async () => {
  for (const sub of ['up', 'down']) {
    const r = await runAsNonRoot(['lab', sub]);
    assert.equal(r.code, 2, `${sub}: ${r.stderr}`);
    assert.match(r.stderr, /^twoway: the lab needs root/m, sub);
  }
});
