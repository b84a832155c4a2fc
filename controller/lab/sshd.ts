/**
 * One sshd per node namespace: keys, config, start, readiness, and stopping only the processes the
 * lab started (found by PidFile, confirmed by their command line naming our config).
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../../src/errors.js';
import { CTL_NETNS, nodeNetns } from './plan.js';
import { type LabScenario, type SessionPath, scenarioAddresses, sessionPathOf } from './scenarios-model.js';
import { type LabPaths, type NodePaths, nodePaths } from './state.js';
import { runIn, sleep } from './run.js';
import { cmdline } from '../host/procfs.js';
import { type ProcessId, childrenByParent, endProcesses, identify, isLive } from './processes.js';
import { SH_AGENT_TOOLS } from '../agents/sh.js';
import { generateOpensshEd25519 } from './openssh-key.js';

export const SSHD_BINARY = '/usr/sbin/sshd';

/**
 * sshd needs its privilege-separation directory /run/sshd. Each lab sshd gets a private mount
 * namespace with its own tmpfs on /run, so it neither needs nor disturbs the host's /run. The config
 * and log paths arrive as positional parameters, not spliced into the script. `sshd -t` first: a
 * config error then fails `up` with sshd's own words instead of a missing PidFile.
 */
const START_IN_PRIVATE_RUN = 'mount -t tmpfs tmpfs /run && mkdir -p /run/sshd && "$0" -t -f "$1" && exec "$0" -f "$1" -E "$2"';

/**
 * A stock server's userland (a shell session's basics plus what the sh agent uses: coreutils, sed,
 * awk, iproute2); never an agent runtime (node, python3, curl, wget, nc).
 */
const BASIC_TOOLS = [...new Set(['sh', 'env', 'cat', 'ls', 'id', 'uname', 'mkdir', 'rm', 'echo', 'true', 'false', 'sleep', 'printf', 'test', 'head', 'tail', 'grep', ...SH_AGENT_TOOLS])];
const TOOL_DIRS = ['/usr/bin', '/bin'];

/**
 * What each restricted node's SSH sessions find on PATH: command name -> the program it runs (a
 * name found in TOOL_DIRS). only-wget is busybox throughout, sh included, like an ESXi shell.
 */
export const SESSION_PATH_TOOLS: Readonly<Record<SessionPath, Readonly<Record<string, string>>>> = {
  'no-runtime': Object.fromEntries(BASIC_TOOLS.map((t) => [t, t])),
  'only-python': Object.fromEntries([...BASIC_TOOLS, 'python3'].map((t) => [t, t])),
  'only-curl': Object.fromEntries([...BASIC_TOOLS, 'curl'].map((t) => [t, t])),
  // busybox wget without -T is told apart from a stall by a connect check with busybox nc.
  'only-wget': Object.fromEntries([...BASIC_TOOLS, 'wget', 'nc'].map((t) => [t, 'busybox'])),
};

/** An Ed25519 key pair at FILE and FILE.pub, as `ssh-keygen -t ed25519` writes them; returns the public key line. */
export async function generateKey(file: string, comment: string): Promise<string> {
  const pair = generateOpensshEd25519(comment);
  writeFileSync(file, pair.privateKey, { mode: 0o600 });
  writeFileSync(`${file}.pub`, `${pair.publicKey}\n`);
  return pair.publicKey;
}

export function renderSshdConfig(s: LabScenario, np: NodePaths, paths: LabPaths): string {
  const lines = [
    `# Written by \`twoway lab up\` for node ${s.node}.`,
    // SSH on 22 only, like a real server: the linux profile's forward 443 finds nothing listening
    // (closed: the path works); a scenario with a service there names its port (servicePorts).
    ...scenarioAddresses(s).flatMap((a) => [22, ...(s.servicePorts ?? [])].map((port) => `ListenAddress ${a}:${port}`)),
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    `AuthorizedKeysFile ${paths.authorizedKeys}`,
    `HostKey ${np.hostKey}`,
    `PidFile ${np.pidFile}`,
    'UseDNS no',
    'LogLevel VERBOSE',
    'MaxStartups 100',
    // TWOWAY_LAB_DIR may point under /tmp, whose world-writable parent StrictModes refuses for the
    // authorized_keys path; the lab's sshds listen only inside its namespaces.
    'StrictModes no',
  ];
  // SetEnv applies after sshd's default PATH, so it replaces it (verified: `command -v node` fails).
  // HOME too: root's own ~/.bashrc (pyenv, cargo) would put its directories back on PATH.
  if (sessionPathOf(s) !== undefined) lines.push(`SetEnv PATH=${np.binDir} HOME=${sessionHome(np)}`);
  return `${lines.join('\n')}\n`;
}

/** An empty home for restricted sessions: no rc file of the machine's root applies there. */
function sessionHome(np: NodePaths): string {
  return join(np.dir, 'home');
}

/** A directory of symlinks, the restricted node's whole PATH; a program missing here fails `lab up`. */
function prepareSessionBin(binDir: string, kind: SessionPath): void {
  mkdirSync(binDir, { recursive: true });
  for (const [name, program] of Object.entries(SESSION_PATH_TOOLS[kind])) {
    const target = TOOL_DIRS.map((d) => join(d, program)).find((p) => existsSync(p));
    if (target === undefined) throw new LabError(`${program} not found in ${TOOL_DIRS.join(' or ')}: the ${kind} node needs it (run lab up as root to install it)`);
    symlinkSync(target, join(binDir, name));
  }
}

/** Host key, config and (for no-runtime) the bin directory; returns the host public key. */
export async function prepareNode(s: LabScenario, paths: LabPaths): Promise<string> {
  const np = nodePaths(paths, s.node);
  mkdirSync(np.dir, { recursive: true });
  const publicKey = await generateKey(np.hostKey, `twoway-lab-${s.node}`);
  const sessionPath = sessionPathOf(s);
  if (sessionPath !== undefined) {
    prepareSessionBin(np.binDir, sessionPath);
    mkdirSync(sessionHome(np), { recursive: true });
  }
  writeFileSync(np.config, renderSshdConfig(s, np, paths));
  return publicKey;
}

export async function startSshd(s: LabScenario, paths: LabPaths): Promise<void> {
  const np = nodePaths(paths, s.node);
  // sshd daemonises (it closes its stdio), so this returns once the listener is forked.
  await runIn(nodeNetns(s.node), 'unshare', ['--mount', '--propagation', 'private', 'sh', '-c', START_IN_PRIVATE_RUN, SSHD_BINARY, np.config, np.log]);
}

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when PID is a live sshd started with this config (sshd's process title keeps its arguments). */
export function isLabSshd(pid: number, configFile: string): boolean {
  const cl = cmdline(pid);
  return cl !== undefined && cl.includes('sshd') && cl.includes(configFile) && isLive(pid);
}

/** The live sshd listener of a node, if any. */
export function sshdPid(paths: LabPaths, node: string): number | undefined {
  const np = nodePaths(paths, node);
  const pid = readPidFile(np.pidFile);
  return pid !== undefined && isLabSshd(pid, np.config) ? pid : undefined;
}

/** Waits (bounded) until every listed node's PidFile names a live lab sshd. */
export async function waitForPidFiles(paths: LabPaths, nodes: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = [...nodes];
  while (missing.length > 0) {
    missing = missing.filter((n) => sshdPid(paths, n) === undefined);
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      const logs = missing.map((n) => `${n}: ${tail(nodePaths(paths, n).log)}`).join('; ');
      throw new LabError(`sshd did not start within ${timeoutMs} ms for ${missing.join(', ')} (${logs})`);
    }
    await sleep(50);
  }
}

function tail(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return lines.slice(-3).join(' | ') || 'empty log';
  } catch {
    return 'no log';
  }
}

/**
 * Run inside twl-ctl by Node itself: connects to each ADDRESS:22 until it is accepted or the
 * deadline passes, then prints the addresses that never accepted as JSON.
 */
const ACCEPT_PROBE = `
const net = require('node:net');
const [deadlineMs, ...addresses] = process.argv.slice(1);
const deadline = Date.now() + Number(deadlineMs);
function once(host) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: 22, timeout: 500 });
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}
async function until(host) {
  while (Date.now() < deadline) {
    if (await once(host)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
Promise.all(addresses.map(async (a) => [a, await until(a)])).then((results) => {
  process.stdout.write(JSON.stringify(results.filter(([, ok]) => !ok).map(([a]) => a)));
});
`;

/** Waits (bounded) until every address accepts TCP on port 22 from the controller side. */
export async function waitForAccept(addresses: readonly string[], timeoutMs: number): Promise<void> {
  if (addresses.length === 0) return;
  const out = await runIn(CTL_NETNS, process.execPath, ['-e', ACCEPT_PROBE, String(timeoutMs), ...addresses], { timeoutMs: timeoutMs + 5_000 });
  const failed = JSON.parse(out) as string[];
  if (failed.length > 0) throw new LabError(`sshd did not accept connections from ${CTL_NETNS} within ${timeoutMs} ms on ${failed.map((a) => `${a}:22`).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Stopping.

/** Each root and everything it started (SSH sessions, the shells and agents they run), children before their parents. */
function withDescendants(root: ProcessId, children: ReadonlyMap<number, readonly ProcessId[]>): ProcessId[] {
  const found: ProcessId[] = [];
  const queue = [root];
  const seen = new Set([root.pid]);
  // Bounded: a process tree cannot hold more entries than /proc listed.
  for (let i = 0; i < queue.length && i < 100_000; i++) {
    const id = queue[i] as ProcessId;
    found.push(id);
    for (const c of children.get(id.pid) ?? []) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      queue.push(c);
    }
  }
  return found.reverse();
}

/**
 * Stops lab sshd listeners and their sessions: SIGTERM, then SIGKILL after a bounded wait; a PID
 * that is no lab sshd with that config is left alone. One /proc listing serves them all.
 */
export async function stopSshds(sshds: readonly { pid: number; configFile: string }[]): Promise<void> {
  const children = childrenByParent();
  // Sessions first (children before their parents), so none is orphaned to init on the way.
  const ids = sshds.flatMap((d) => {
    const root = identify(d.pid);
    return root !== undefined && isLabSshd(d.pid, d.configFile) ? withDescendants(root, children) : [];
  });
  await endProcesses(ids);
}
