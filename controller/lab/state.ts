/**
 * The lab's state directory: where it is, what lives in it, and the files `up` writes for
 * `twoway run` (ssh_config, known_hosts, inventory.yaml). Not under /run: each sshd mounts a private
 * tmpfs over /run, and the state must be the same file for every namespace.
 */
import { closeSync, existsSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LabError } from '../../src/errors.js';
import { CTL_NETNS, LAB_BLOCK, nodeNetns } from './plan.js';
import { type LabScenario, hasSshd, scenarioAddresses } from './scenarios-model.js';
import { sleep } from './run.js';
import { isLive } from './processes.js';
import type { FleetSpec } from './fleet.js';
import type { LabParams } from './params.js';

export const DEFAULT_STATE_DIR = '/var/lib/twoway-lab';

/**
 * The lock of every lab operation, one per machine: the lab's names (twl-*), its address block and
 * the guard route are machine-wide, whatever TWOWAY_LAB_DIR says. In /run, where only root creates
 * files: /run/lock is world-writable, so any user could hold a lock there with a live PID of their
 * choosing. Not /run/twoway-lab.lock or /run/twoway-lab-helpers.lock: people hold those with
 * flock(1) around whole lab sessions.
 */
export const LAB_LOCK_FILE = '/run/twoway-lab.op';

export interface LabPaths {
  stateDir: string;
  /** Written first by `up`: `down` only deletes a state directory that carries it. */
  marker: string;
  /** Written last by `up`: its presence means the build completed. */
  record: string;
  inventory: string;
  /** Only the fleet's nodes (`lab up --fleet N`), so a run can target just them. */
  fleetInventory: string;
  sshConfig: string;
  knownHosts: string;
  clientKey: string;
  authorizedKeys: string;
  nftDir: string;
  nodesDir: string;
  /** LAB_LOCK_FILE: one per machine, outside the state directory (so it survives `down` removing it). */
  lockFile: string;
  ctlNetns: string;
}

export function labPaths(env: NodeJS.ProcessEnv = process.env): LabPaths {
  const fromEnv = env.TWOWAY_LAB_DIR;
  const stateDir = fromEnv !== undefined && fromEnv !== '' ? fromEnv.replace(/\/+$/, '') : DEFAULT_STATE_DIR;
  // The path is written unquoted into sshd_config and ssh_config, so keep it to plain characters.
  if (!/^\/[A-Za-z0-9._/-]+$/.test(stateDir) || stateDir.split('/').includes('..')) {
    throw new LabError(`TWOWAY_LAB_DIR must be an absolute path of letters, digits and . _ - /, not "${fromEnv ?? ''}"`);
  }
  if (isUnderRun(stateDir) || isUnderRun(resolveExisting(stateDir))) {
    throw new LabError(`TWOWAY_LAB_DIR must not be under /run (${stateDir}): each lab sshd mounts its own tmpfs over /run and would not see the state there`);
  }
  return {
    stateDir,
    marker: join(stateDir, '.twoway-lab'),
    record: join(stateDir, 'lab.json'),
    inventory: join(stateDir, 'inventory.yaml'),
    fleetInventory: join(stateDir, 'fleet.yaml'),
    sshConfig: join(stateDir, 'ssh_config'),
    knownHosts: join(stateDir, 'known_hosts'),
    clientKey: join(stateDir, 'id_ed25519'),
    authorizedKeys: join(stateDir, 'authorized_keys'),
    nftDir: join(stateDir, 'nft'),
    nodesDir: join(stateDir, 'nodes'),
    lockFile: LAB_LOCK_FILE,
    ctlNetns: CTL_NETNS,
  };
}

function isUnderRun(path: string): boolean {
  return path === '/run' || path.startsWith('/run/');
}

/** The path with its longest existing ancestor's symlinks resolved (/var/run is usually a link to /run). */
function resolveExisting(path: string): string {
  // Bounded by the path's depth.
  for (let dir = path, rest = ''; ; rest = join(basename(dir), rest), dir = dirname(dir)) {
    try {
      return join(realpathSync(dir), rest);
    } catch {
      if (dir === '/') return path;
    }
  }
}

export interface NodePaths {
  dir: string;
  hostKey: string;
  config: string;
  pidFile: string;
  log: string;
  /** For the no-runtime scenario: the only directory on the sessions' PATH. */
  binDir: string;
}

export function nodePaths(paths: LabPaths, node: string): NodePaths {
  const dir = join(paths.nodesDir, node);
  return {
    dir,
    hostKey: join(dir, 'ssh_host_ed25519_key'),
    config: join(dir, 'sshd_config'),
    pidFile: join(dir, 'sshd.pid'),
    log: join(dir, 'sshd.log'),
    binDir: join(dir, 'bin'),
  };
}

/** What `up` records when it has finished. */
export interface LabRecord {
  version: 1;
  builtAt: string;
  block: string;
  nodes: RecordedNode[];
  /** The fault values drawn for this build (params.ts); absent in a record written before they were drawn. */
  params?: LabParams;
  /** The fleet built with the static scenarios (or alone); absent: none. */
  fleet?: FleetSpec;
}

export interface RecordedNode {
  name: string;
  netns: string;
  addresses: string[];
  sshd: boolean;
}

export function createStateDir(paths: LabPaths): void {
  // 0755 on the directory: sshd and ssh run as root and only need to read; keys are 0600 themselves.
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o755 });
  writeFileSync(paths.marker, 'This directory is the state of `twoway lab up`; `twoway lab down` removes it.\n');
  mkdirSync(paths.nodesDir, { mode: 0o755 });
  mkdirSync(paths.nftDir, { mode: 0o755 });
}

export function stateDirExists(paths: LabPaths): boolean {
  return existsSync(paths.stateDir);
}

/**
 * Removes the state directory, but only if it is ours (it carries the marker) or empty: a mistyped
 * TWOWAY_LAB_DIR must never cost someone a directory.
 */
export function removeStateDir(paths: LabPaths): 'removed' | 'absent' {
  if (!existsSync(paths.stateDir)) return 'absent';
  const ours = existsSync(paths.marker) || readdirSync(paths.stateDir).length === 0;
  if (!ours) {
    throw new LabError(`refusing to delete ${paths.stateDir}: it does not carry the lab's marker file ${paths.marker}`);
  }
  rmSync(paths.stateDir, { recursive: true, force: true, maxRetries: 3 });
  return 'removed';
}

export function readRecord(paths: LabPaths): LabRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(paths.record, 'utf8')) as LabRecord;
    return parsed.version === 1 ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function recordedNode(s: LabScenario): RecordedNode {
  return { name: s.node, netns: nodeNetns(s.node), addresses: scenarioAddresses(s), sshd: hasSshd(s) };
}

export function writeRecord(paths: LabPaths, scenarios: readonly LabScenario[], params: LabParams, fleet?: FleetSpec): void {
  const record: LabRecord = {
    version: 1,
    builtAt: new Date().toISOString(),
    block: LAB_BLOCK,
    nodes: scenarios.map(recordedNode),
    params,
    ...(fleet === undefined ? {} : { fleet }),
  };
  writeFileSync(paths.record, `${JSON.stringify(record, null, 2)}\n`);
}

/** The ssh_config `twoway run` passes with -F: strict host keys, the lab's own key, no prompts. */
export function renderSshConfig(paths: LabPaths): string {
  return [
    '# Written by `twoway lab up`.',
    'Host 10.231.*',
    '  User root',
    `  IdentityFile ${paths.clientKey}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${paths.knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    // Without a bound, the ssh-dropped node would hold a connect for the kernel's ~2 minutes of SYN retries.
    '  ConnectTimeout 10',
    '',
  ].join('\n');
}

/** One line per address of every node that runs sshd: `ADDR ssh-ed25519 KEY`. */
export function renderKnownHosts(entries: readonly { addresses: readonly string[]; publicKey: string }[]): string {
  const lines: string[] = [];
  for (const entry of entries) {
    const [type, key] = entry.publicKey.trim().split(/\s+/);
    if (type === undefined || key === undefined) throw new LabError(`malformed host public key: ${entry.publicKey}`);
    for (const address of entry.addresses) lines.push(`${address} ${type} ${key}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The inventory in the shape `twoway run --inventory` reads; every value comes from plan.ts. */
export function renderInventory(scenarios: readonly LabScenario[]): string {
  const lines = [
    '# Written by `twoway lab up`; `twoway run --inventory <this file>` takes it as it is.',
    'controller:',
    `  netns: ${CTL_NETNS}`,
    'ssh_config: ssh_config        # relative to this file',
    'defaults:',
    '  user: root',
    '  profile: linux',
    'nodes:',
  ];
  for (const s of scenarios) {
    const addresses = scenarioAddresses(s);
    lines.push(`  - name: ${s.node}`);
    if (addresses.length === 1) lines.push(`    address: ${addresses[0] ?? ''}`);
    else lines.push(`    addresses: [${addresses.join(', ')}]`);
    if (s.ftp === true) lines.push('    ftp: true');
  }
  return `${lines.join('\n')}\n`;
}

export function writeClientFiles(paths: LabPaths, scenarios: readonly LabScenario[], hostKeys: readonly { addresses: readonly string[]; publicKey: string }[]): void {
  writeFileSync(paths.sshConfig, renderSshConfig(paths));
  writeFileSync(paths.knownHosts, renderKnownHosts(hostKeys));
  writeFileSync(paths.inventory, renderInventory(scenarios));
}

/**
 * One lab operation at a time: an exclusive lock file holding the owner's PID. A lock left by a
 * process that is gone, or a file root did not make, is taken over; a live owner is waited for, up
 * to `waitMs`.
 */
export async function withLock<T>(paths: LabPaths, waitMs: number, body: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + waitMs;
  mkdirSync(join(paths.lockFile, '..'), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    // Bounded however it goes: ~10 minutes of waits at 200 ms, or as many immediate retries.
    if (attempt > 3_000) throw new LabError(`could not take ${paths.lockFile} in ${attempt} attempts`);
    const created = createLock(paths.lockFile);
    if (created !== undefined) {
      if (await stillOurs(paths.lockFile, created)) break;
      continue; // lost to a takeover that moved ours aside: start over
    }
    const found = inspectLock(paths.lockFile);
    if (found === undefined) continue; // released in between: try again at once
    if (found.abandoned) {
      takeOver(paths.lockFile, found.inode);
      continue;
    }
    if (found.owner === process.pid) throw new LabError(`lab lock ${paths.lockFile} is already held by this process`);
    if (Date.now() >= deadline) {
      throw new LabError(`another lab operation (PID ${found.owner ?? 'unknown'}) holds ${paths.lockFile}; waited ${waitMs} ms`);
    }
    await sleep(200);
  }
  try {
    return await body();
  } finally {
    if (readLockOwner(paths.lockFile) === process.pid) rmSync(paths.lockFile, { force: true });
  }
}

/** Creates the lock file with this PID; its inode, or undefined when a lock exists. */
function createLock(file: string): number | undefined {
  try {
    const fd = openSync(file, 'wx', 0o644);
    try {
      writeSync(fd, `${process.pid}\n`);
      return fstatSync(fd).ino;
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new LabError(`cannot create lock ${file}`, { cause: err });
  }
}

/**
 * Read back after creating: a process taking over a lock it judged abandoned may have moved ours
 * aside in between (see takeOver). It puts it back at once, or (when a third process made a lock in
 * that instant) leaves it out; so an absent lock is looked at again for a moment.
 */
async function stillOurs(file: string, inode: number): Promise<boolean> {
  for (let i = 0; i < 10 && lockInode(file) === undefined; i++) await sleep(10);
  return lockInode(file) === inode;
}

/** The lock file as found: its owner, and whether it may be taken over. undefined: it is gone. */
function inspectLock(file: string): { owner: number | undefined; inode: number; abandoned: boolean } | undefined {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return undefined;
  }
  const owner = readLockOwner(file);
  // Only root can create files in /run; anything else there (another owner, a symlink) is no lock of the lab's.
  if (!st.isFile() || st.uid !== 0) return { owner, inode: st.ino, abandoned: true };
  // No PID yet: the owner is between creating the file and writing it, unless that was long ago.
  const abandoned = owner === undefined ? Date.now() - st.mtimeMs > 5_000 : !isLive(owner);
  return { owner, inode: st.ino, abandoned };
}

/**
 * Removes the abandoned lock file with this inode, and only that one: it is moved aside first, so
 * when another process has meanwhile taken the lock over and made a new file, that file is what
 * moved and is put back (link(2) fails rather than replace a file made in the same instant).
 */
function takeOver(file: string, inode: number): void {
  const aside = `${file}.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // already moved or removed by another process: start over
  }
  try {
    if (lockInode(aside) !== inode) linkSync(aside, file);
  } catch {
    // A new lock appeared in that instant: it stands, and its maker reads it back.
  } finally {
    rmSync(aside, { force: true });
  }
}

function lockInode(file: string): number | undefined {
  try {
    return lstatSync(file).ino;
  } catch {
    return undefined;
  }
}

function readLockOwner(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
