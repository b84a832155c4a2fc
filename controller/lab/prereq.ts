/**
 * What the lab needs from the machine: root, permission to create namespaces, and a few programs.
 * Missing programs are installed with apt-get when running as root (Debian and derivatives); otherwise
 * the exact command is printed. The openssh-server package would start a system sshd from its
 * postinst; a temporary policy-rc.d forbids that, because the lab runs its own sshds only inside its
 * namespaces.
 */
import { accessSync, constants, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../../src/errors.js';
import { labEnv, run, tryRun } from './run.js';
import { readPidFile } from './sshd.js';
import { cmdline } from '../host/procfs.js';
import { type Log, noNamespacesError } from './topology.js';

export interface RequiredTool {
  command: string;
  /** Where it must be, when the lab runs it by absolute path. */
  absolutePath?: string;
  /** The Debian package that provides it. */
  debianPackage: string;
}

export const REQUIRED_TOOLS: readonly RequiredTool[] = [
  { command: 'sshd', absolutePath: '/usr/sbin/sshd', debianPackage: 'openssh-server' },
  { command: 'ssh', debianPackage: 'openssh-client' },
  { command: 'ssh-keygen', debianPackage: 'openssh-client' },
  { command: 'ip', debianPackage: 'iproute2' },
  { command: 'nft', debianPackage: 'nftables' },
  { command: 'tc', debianPackage: 'iproute2' },
  // The lossy node's delay line turns segmentation and checksum offload off on the veths that feed it.
  { command: 'ethtool', debianPackage: 'ethtool' },
  { command: 'unshare', debianPackage: 'util-linux' },
  // On Debian 12 mount(8) has its own package; util-linux no longer ships it.
  { command: 'mount', debianPackage: 'mount' },
  // The single-runtime nodes (only-python, only-curl, only-wget) link these into their PATH; busybox
  // also serves the sh agent's tests (busybox sh, wget, nc).
  { command: 'python3', debianPackage: 'python3' },
  { command: 'curl', debianPackage: 'curl' },
  { command: 'busybox', debianPackage: 'busybox' },
  // The sh-tcp flavour's connect checks on the lab's ordinary nodes (conformance).
  { command: 'nc', debianPackage: 'netcat-openbsd' },
  // GNU wget for the sh-wget agent's tests beside busybox wget.
  { command: 'wget', debianPackage: 'wget' },
  // The playbook in ansible/ is tested against the lab (test/lab/ansible-playbook.test.ts). It uses
  // ansible.builtin modules only, so ansible-core (8 MB) does, not the collections of `ansible` (250 MB).
  { command: 'ansible-playbook', debianPackage: 'ansible-core' },
  // Real Redfish clients check the lab's BMC stand-in's API shape (test/controller/lab/redfish-standin.test.ts).
  { command: 'redfishtool', debianPackage: 'redfishtool' },
  { command: 'ilorest', debianPackage: 'ilorest' },
  // The controller bisects the path MTU with DF-set echoes (controller/host/path-mtu.ts); busybox ping has no -M.
  { command: 'ping', debianPackage: 'iputils-ping' },
];

const APT_TIMEOUT_MS = 15 * 60_000;
/** A timed-out apt-get gets SIGTERM and this long to stop before SIGKILL, so dpkg is not cut off mid-configure. */
const APT_KILL_GRACE_MS = 30_000;
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const POLICY_RC_D_TEXT = '#!/bin/sh\n# Written by `twoway lab up` while it installs packages: forbid starting services (exit 101).\nexit 101\n';
const SYSTEM_SSHD_PID_FILE = '/run/sshd.pid';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(command: string, pathVar: string = labEnv().PATH ?? ''): string | undefined {
  return pathVar
    .split(':')
    .filter((d) => d !== '')
    .map((d) => join(d, command))
    .find(isExecutable);
}

export function missingTools(tools: readonly RequiredTool[] = REQUIRED_TOOLS, exists: (t: RequiredTool) => boolean = toolPresent): RequiredTool[] {
  return tools.filter((t) => !exists(t));
}

function toolPresent(t: RequiredTool): boolean {
  return t.absolutePath !== undefined ? isExecutable(t.absolutePath) : findOnPath(t.command) !== undefined;
}

/** The apt-get arguments that install what is missing, packages in table order, each once. */
export function installArgs(missing: readonly RequiredTool[]): string[] {
  const packages = [...new Set(missing.map((t) => t.debianPackage))];
  return ['install', '-y', '--no-install-recommends', ...packages];
}

/** The command a person runs to install what is missing (with sudo when they are not root). */
export function installCommandText(missing: readonly RequiredTool[], sudo: boolean): string {
  const as = sudo ? 'sudo ' : '';
  return `${as}apt-get update && ${as}DEBIAN_FRONTEND=noninteractive apt-get ${installArgs(missing).join(' ')}`;
}

/** Why the lab refuses to start for someone who is not root, and what else it will need. */
export function notRootMessage(missing: readonly RequiredTool[]): string {
  const what = missing.length > 0 ? ` It also needs ${missing.map((t) => t.command).join(', ')}; install them with:\n  ${installCommandText(missing, true)}` : '';
  return `the lab needs root (it creates network namespaces and runs sshd); run it with sudo.${what}`;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export interface PrerequisiteOptions {
  log: Log;
  /** Install missing packages with apt-get (root only). Default true. */
  install?: boolean;
  /** What to check; REQUIRED_TOOLS unless a test says otherwise. */
  tools?: readonly RequiredTool[];
}

/**
 * Refuses clearly when not root; installs or names what is missing, but only where namespaces can
 * be made at all (no point installing sshd into a container that cannot hold the lab).
 */
export async function ensurePrerequisites(options: PrerequisiteOptions): Promise<void> {
  const tools = options.tools ?? REQUIRED_TOOLS;
  const missing = missingTools(tools);
  if (!isRoot()) throw new LabError(notRootMessage(missing));
  if (missing.length === 0) return;
  if (options.install === false || findOnPath('apt-get') === undefined) {
    throw new LabError(`missing ${missing.map((t) => t.command).join(', ')}; install them with:\n  ${installCommandText(missing, false)}`);
  }
  await checkNamespaceSupport();
  await aptInstall(missing, options.log);
  const still = missingTools(tools);
  if (still.length > 0) throw new LabError(`still missing after apt-get: ${still.map((t) => t.command).join(', ')}`);
}

/**
 * Before anything is installed: may this process make a network namespace? unshare(1) tries one
 * that is gone when `true` exits, with no name a concurrent lab operation could see (this runs
 * outside the lab's lock). util-linux is essential on Debian; without unshare this cannot tell yet,
 * and `up` probes again, under the lock, after the install.
 */
async function checkNamespaceSupport(): Promise<void> {
  if (findOnPath('unshare') === undefined) return;
  const r = await tryRun('unshare', ['--net', 'true']);
  if (r.code !== 0) throw noNamespacesError('unshare --net true', r);
}

async function aptInstall(missing: readonly RequiredTool[], log: Log): Promise<void> {
  const env = labEnv({ DEBIAN_FRONTEND: 'noninteractive' });
  const args = installArgs(missing);
  log(`missing ${missing.map((t) => t.command).join(', ')}; running: apt-get ${args.join(' ')}`);
  const systemSshdBefore = liveSystemSshd();
  const placedPolicy = placePolicyRcD(log);
  try {
    const first = await tryRun('apt-get', args, { env, timeoutMs: APT_TIMEOUT_MS, killGraceMs: APT_KILL_GRACE_MS });
    if (first.code !== 0) {
      log(`apt-get install failed (${first.stderr.trim().split('\n').slice(-1)[0] ?? ''}); running apt-get update and retrying once`);
      await run('apt-get', ['update'], { env, timeoutMs: APT_TIMEOUT_MS, killGraceMs: APT_KILL_GRACE_MS });
      await run('apt-get', args, { env, timeoutMs: APT_TIMEOUT_MS, killGraceMs: APT_KILL_GRACE_MS });
    }
  } finally {
    if (placedPolicy) removePolicyRcD();
  }
  stopSshdStartedByInstall(systemSshdBefore, log);
  if (missing.some((t) => t.debianPackage === 'openssh-server') && existsSync('/run/systemd/system')) {
    log('note: openssh-server enabled ssh.service for the next boot; the lab does not need it (systemctl disable ssh)');
  }
}

/** Places a policy-rc.d that forbids service starts, unless one exists already (then it decides). */
function placePolicyRcD(log: Log): boolean {
  if (existsSync(POLICY_RC_D)) return false;
  writeFileSync(POLICY_RC_D, POLICY_RC_D_TEXT, { mode: 0o755 });
  log(`placed ${POLICY_RC_D} (exit 101) so the package does not start a system sshd`);
  return true;
}

function removePolicyRcD(): void {
  try {
    if (readFileSync(POLICY_RC_D, 'utf8') === POLICY_RC_D_TEXT) rmSync(POLICY_RC_D);
  } catch {
    // Already gone.
  }
}

function liveSystemSshd(): number | undefined {
  const pid = readPidFile(SYSTEM_SSHD_PID_FILE);
  return pid !== undefined && cmdline(pid)?.includes('sshd') === true ? pid : undefined;
}

/**
 * If the package started a system sshd in spite of policy-rc.d (one that was not running before the
 * install), it was started by this install: stop it by its PID.
 */
function stopSshdStartedByInstall(before: number | undefined, log: Log): void {
  const after = liveSystemSshd();
  if (after === undefined || after === before) return;
  log(`the openssh-server install started a system sshd (PID ${after}); stopping it`);
  try {
    process.kill(after, 'SIGTERM');
  } catch {
    // Already gone.
  }
}
