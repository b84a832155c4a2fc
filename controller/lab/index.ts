/**
 * The lab: `up` builds a small data centre of network namespaces with real kernel faults, `down`
 * removes everything it made (also after a crash), `status` says what exists. The order of work
 * and the decisions live here; each step's I/O lives in its own module.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { LabError } from '../../src/errors.js';
import { CTL_NETNS, LAB_BLOCK, NETNS_PREFIX, RTR_NETNS } from './plan.js';
import { LAB_SCENARIOS, labScenarios } from './scenarios.js';
import { type LabParams, describeLabParams, drawLabParams, parseSeed, randomSeed } from './params.js';
import { LAB_FAULTS } from './scenarios-faults.js';
import { type LabScenario, hasSshd, scenarioAddresses } from './scenarios-model.js';
import { type FleetSpec, type LabComposition, abridgeLabItems, composeLab, fleetSize, isFleetNode, validateComposition } from './fleet.js';
import {
  type LabPaths,
  type RecordedNode,
  createStateDir,
  labPaths,
  nodePaths,
  readRecord,
  recordedNode,
  removeStateDir,
  renderInventory,
  stateDirExists,
  withLock,
  writeClientFiles,
  writeRecord,
} from './state.js';
import {
  type Log,
  type RouteJson,
  addGuardRoute,
  assertBlockFree,
  buildTopology,
  deleteNetnsAll,
  guardRouteExists,
  listLabNetns,
  probeNetnsPermission,
  removeGuardRoute,
  rootRoutes,
} from './topology.js';
import { generateKey, prepareNode, readPidFile, sshdPid, startSshd, stopSshds, waitForAccept, waitForPidFiles } from './sshd.js';
import { buildFleetTopology } from './fleet-topology.js';
import { activeFaults, applyScenarioMechanisms, toggleFault } from './faults.js';
import { ensurePrerequisites, isRoot, notRootMessage } from './prereq.js';
import { allPids, cmdline } from '../host/procfs.js';
import { type NetnsHolder, endProcesses, identify, netnsHolders, nsInode, selfAndAncestors } from './processes.js';

export { LAB_SCENARIOS, LAB_FAULTS, labPaths, labScenarios };
export type { LabParams };
export type { FleetSpec, LabComposition };
export type { LabScenario, LabPaths, Log, RouteJson };
export type { Expectation, ExpectedPath, NftCtTimeout, NftRules, NodeLink, ScenarioExpectation } from './scenarios-model.js';
export type { LabFault, LabFaultName } from './scenarios-faults.js';

/** How long an operation waits for another one (another process's up/down) to finish. */
const LOCK_WAIT_MS = 120_000;
/** sshd forks and binds in milliseconds; seconds mean it failed. */
const SSHD_START_TIMEOUT_MS = 5_000;
const SSHD_ACCEPT_TIMEOUT_MS = 5_000;

const silent: Log = () => {};

export interface LabUpOptions extends LabComposition {
  log?: Log;
  /** Install missing packages with apt-get when root (default true). */
  install?: boolean;
  /** The machine's routes to check the lab block against; `ip route show table all` unless a test injects its own. */
  routes?: () => Promise<RouteJson[]>;
  /**
   * The seed the fault values are drawn from (params.ts). Absent: a lab already up keeps its own,
   * a new one gets a random seed. A lab up with another seed is rebuilt.
   */
  seed?: number;
}

export interface LabUpResult {
  action: 'built' | 'already-up';
  elapsedMs: number;
  paths: LabPaths;
  /** Lab-wide faults a lab that was already up still had on (a run that died mid-fault), now off. */
  clearedFaults: string[];
  /** The fault values the lab was built with. */
  params: LabParams;
}

export interface LabDownResult {
  removed: string[];
  elapsedMs: number;
}

export interface NodeStatus {
  name: string;
  netns: string;
  addresses: string[];
  netnsPresent: boolean;
  /** undefined: the scenario has no sshd. */
  sshd: { pid: number | undefined; alive: boolean } | undefined;
}

export interface LabStatus {
  up: boolean;
  /** Something of a lab exists (namespaces, state directory or guard route). */
  present: boolean;
  stateDir: string;
  inventory: string;
  /** The fleet the lab was built with, and its own inventory; absent: no fleet. */
  fleet?: FleetSpec & { inventory: string };
  ctlNetns: string;
  built: boolean;
  builtAt: string | undefined;
  guardRoute: boolean;
  /** Every twl- namespace that exists, expected or not. */
  namespaces: string[];
  missingNamespaces: string[];
  nodes: NodeStatus[];
  faults: string[];
  /** The fault values the lab was built with (absent: not built, or built before they were drawn). */
  params?: LabParams;
}

function expectedNamespaces(nodes: readonly RecordedNode[]): string[] {
  return [CTL_NETNS, RTR_NETNS, ...nodes.map((n) => n.netns)];
}

/**
 * The nodes the lab is made of: those its record lists once built (a fleet included); before that,
 * or after a crash, the static scenarios and any fleet namespace found.
 */
function labNodes(record: ReturnType<typeof readRecord>, namespaces: readonly string[]): RecordedNode[] {
  if (record !== undefined) return record.nodes;
  const fleet = namespaces.filter((ns) => ns.startsWith(NETNS_PREFIX) && isFleetNode(ns.slice(NETNS_PREFIX.length)));
  return [...LAB_SCENARIOS.map(recordedNode), ...fleet.map((ns) => ({ name: ns.slice(NETNS_PREFIX.length), netns: ns, addresses: [], sshd: true }))];
}

async function collectStatus(paths: LabPaths): Promise<LabStatus> {
  const namespaces = await listLabNetns();
  const guardRoute = await guardRouteExists();
  const record = readRecord(paths);
  const labNodeList = labNodes(record, namespaces);
  const missingNamespaces = expectedNamespaces(labNodeList).filter((n) => !namespaces.includes(n));
  const nodes: NodeStatus[] = labNodeList.map((n) => {
    const live = sshdPid(paths, n.name);
    return {
      name: n.name,
      netns: n.netns,
      addresses: n.addresses,
      netnsPresent: namespaces.includes(n.netns),
      // The PidFile's PID is shown even when dead, so a crashed sshd can be told from one never started.
      sshd: n.sshd ? { pid: live ?? readPidFile(nodePaths(paths, n.name).pidFile), alive: live !== undefined } : undefined,
    };
  });
  const faults = namespaces.includes(CTL_NETNS) ? await activeFaults() : [];
  const up = record !== undefined && guardRoute && missingNamespaces.length === 0 && nodes.every((n) => n.sshd === undefined || n.sshd.alive);
  return {
    up,
    present: namespaces.length > 0 || guardRoute || stateDirExists(paths),
    stateDir: paths.stateDir,
    inventory: paths.inventory,
    ...(record?.fleet === undefined ? {} : { fleet: { ...record.fleet, inventory: paths.fleetInventory } }),
    ctlNetns: paths.ctlNetns,
    built: record !== undefined,
    builtAt: record?.builtAt,
    guardRoute,
    namespaces,
    missingNamespaces,
    nodes,
    faults,
    ...(record?.params === undefined ? {} : { params: record.params }),
  };
}

/** What exists now, read only: namespaces, each node's sshd, active faults. */
export async function labStatus(): Promise<LabStatus> {
  return collectStatus(labPaths());
}

async function build(paths: LabPaths, scenarios: readonly LabScenario[], params: LabParams, fleet: FleetSpec | undefined, log: Log): Promise<void> {
  log(`lab parameters: ${describeLabParams(params)} (rebuild with these: twoway lab up --seed ${params.seed})`);
  await addGuardRoute();
  log(`root namespace: unreachable route for ${LAB_BLOCK} (lab traffic can never leave by the default route)`);
  createStateDir(paths);
  const clientPublicKey = await generateKey(paths.clientKey, 'twoway-lab-client');
  writeFileSync(paths.authorizedKeys, `${clientPublicKey}\n`);
  const sshdScenarios = scenarios.filter(hasSshd);
  const hostKeys = await Promise.all(
    sshdScenarios.map(async (s) => ({ addresses: scenarioAddresses(s), publicKey: await prepareNode(s, paths) })),
  );
  log(`state in ${paths.stateDir}: client key and ${hostKeys.length} host keys`);

  const fleetNodes = scenarios.filter((s) => isFleetNode(s.node));
  await buildTopology(scenarios.filter((s) => !isFleetNode(s.node)), paths.stateDir, log);
  await buildFleetTopology(fleetNodes, log);

  await Promise.all(sshdScenarios.map((s) => startSshd(s, paths)));
  await waitForPidFiles(paths, sshdScenarios.map((s) => s.node), SSHD_START_TIMEOUT_MS);
  // Before the faults go in: the ssh-dropped node's firewall would hide its sshd from this check.
  await waitForAccept(sshdScenarios.flatMap(scenarioAddresses), SSHD_ACCEPT_TIMEOUT_MS);
  log(`sshd accepting on ${sshdScenarios.length} nodes`);

  await applyScenarioMechanisms(scenarios, paths);
  log(`scenario faults in place: ${scenarios.filter((s) => s.mechanism !== 'none').map((s) => s.node).join(', ')}`);

  writeClientFiles(paths, scenarios, hostKeys);
  if (fleetNodes.length > 0) {
    writeFileSync(paths.fleetInventory, renderInventory(fleetNodes));
    log(`fleet inventory (${fleetNodes.length} nodes): ${paths.fleetInventory}`);
  }
  writeRecord(paths, scenarios, params, fleet);
  log(`inventory: ${paths.inventory}`);
}

/** Rounds of "list the namespaces' processes, end them": a process may fork while its parent is ended. */
const SWEEP_ROUNDS = 5;

/**
 * Ends every process inside the lab namespaces, by PID (the lab's sshds and their sessions, a hung
 * run in twl-ctl): any one of them would keep its namespace, its veths and addresses alive after `ip
 * netns del`. One /proc listing per round serves every namespace (what `ip netns pids` does for one).
 * This process and its ancestors are spared, and reported by the check that follows. Each PID is
 * identified with its namespace's inode as it is listed, so a PID that leaves (and is reused by a
 * host process) before its signal is not signalled. Returns how many ended, by namespace.
 */
async function endProcessesIn(namespaces: readonly string[], spared: ReadonlySet<number>): Promise<Map<string, number>> {
  const byInode = new Map(namespaces.flatMap((ns): [number, string][] => {
    const inode = nsInode(`/run/netns/${ns}`);
    return inode === undefined ? [] : [[inode, ns]];
  }));
  const tried = new Set<string>();
  const ended = new Map<string, number>();
  for (let round = 0; round < SWEEP_ROUNDS && byInode.size > 0; round++) {
    const ids = allPids()
      .filter((p) => !spared.has(p))
      .flatMap((p) => identify(p, true) ?? [])
      .filter((id) => id.netns !== undefined && byInode.has(id.netns) && !tried.has(`${id.pid}@${id.startTime}`));
    if (ids.length === 0) break;
    for (const id of ids) tried.add(`${id.pid}@${id.startTime}`);
    // Those that survived SIGKILL (stuck in the kernel) are not counted; the check after the sweep names them.
    const left = new Set((await endProcesses(ids)).map((id) => `${id.pid}@${id.startTime}`));
    for (const id of ids) {
      const ns = byInode.get(id.netns ?? -1);
      if (ns !== undefined && !left.has(`${id.pid}@${id.startTime}`)) ended.set(ns, (ended.get(ns) ?? 0) + 1);
    }
  }
  return ended;
}

/**
 * Stops lab sshds, ends every process in the twl- namespaces, deletes them, the guard route and the
 * state directory, then checks that none of those namespaces lives on; safe when nothing exists.
 */
async function teardown(paths: LabPaths, log: Log): Promise<string[]> {
  const removed: string[] = [];
  const namespaces = await listLabNetns();

  // sshds the state directory knows, also when their namespace is gone from /run/netns (a crash mid-down).
  const sshds = stateNodeNames(paths).flatMap((node) => {
    const np = nodePaths(paths, node);
    const pid = readPidFile(np.pidFile);
    return pid === undefined ? [] : [{ pid, configFile: np.config }];
  });
  await stopSshds(sshds);
  removed.push(...sshds.map((d) => `sshd ${d.pid}`));

  const ended = await endProcessesIn(namespaces, selfAndAncestors());
  for (const ns of namespaces) {
    const count = ended.get(ns) ?? 0;
    if (count > 0) removed.push(`${count} process(es) in ${ns}`);
  }
  // Known before the names go: what the check below looks for.
  const inodes = new Set(namespaces.flatMap((ns) => nsInode(`/run/netns/${ns}`) ?? []));
  await deleteNetnsAll(namespaces);
  removed.push(...namespaces);
  if (await removeGuardRoute()) removed.push(`route unreachable ${LAB_BLOCK}`);
  if (removeStateDir(paths) === 'removed') removed.push(paths.stateDir);
  if (removed.length > 0) log(`removed: ${abridgeLabItems(removed).join(', ')}`);
  assertNothingLeft(await listLabNetns(), netnsHolders(inodes));
  return removed;
}

/** After teardown: no twl- name, and nothing holding a deleted namespace (which would keep its veths and addresses). */
function assertNothingLeft(names: readonly string[], holders: readonly NetnsHolder[]): void {
  const left = [
    ...(names.length > 0 ? [`namespaces ${names.join(' ')}`] : []),
    ...holders.map((h) => (h.how === 'inside' ? `PID ${h.pid} (${cmdline(h.pid) ?? '?'}) still inside one` : `a mount of one in PID ${h.pid}'s mount namespace (${cmdline(h.pid) ?? '?'})`)),
  ];
  if (left.length > 0) throw new LabError(`lab down left lab namespaces alive: ${left.join('; ')}`);
}

function stateNodeNames(paths: LabPaths): string[] {
  try {
    return readdirSync(paths.nodesDir);
  } catch {
    return [];
  }
}

/** Whether the lab as recorded has exactly these nodes. */
function sameNodes(status: LabStatus, scenarios: readonly LabScenario[]): boolean {
  return status.nodes.length === scenarios.length && scenarios.every((s, i) => status.nodes[i]?.name === s.node);
}

/** TWOWAY_LAB_SEED: the seed of every lab build that is given none (so a whole test group runs on one). */
function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.TWOWAY_LAB_SEED;
  return text === undefined || text === '' ? undefined : parseSeed(text, 'TWOWAY_LAB_SEED');
}

/**
 * Builds the lab (the static scenarios and/or a fleet, options.fleet and options.onlyFleet); rebuilds
 * a partial one, or one built with other nodes. A lab that is complete with these nodes and every
 * sshd alive is kept, but any lab-wide fault still on (from a run that died mid-fault) is turned off.
 */
export async function labUp(options: LabUpOptions = {}): Promise<LabUpResult> {
  const started = Date.now();
  const log = options.log ?? silent;
  const paths = labPaths();
  validateComposition(options);
  await ensurePrerequisites({ log, install: options.install ?? true });
  return withLock(paths, LOCK_WAIT_MS, async () => {
    await probeNetnsPermission();
    const before = await collectStatus(paths);
    const kept = before.params;
    const params = drawLabParams(options.seed ?? seedFromEnv() ?? (before.up && kept !== undefined ? kept.seed : randomSeed()));
    const scenarios = composeLab(options, params);
    const sameSeed = kept !== undefined && kept.seed === params.seed;
    if (before.up && sameSeed && sameNodes(before, scenarios)) {
      for (const fault of before.faults) await toggleFault(paths, fault, false);
      const cleared = before.faults.length > 0 ? `; turned off the lab-wide fault(s) left on: ${before.faults.join(', ')}` : '';
      log(`lab is already up (built ${before.builtAt ?? '?'}; ${describeLabParams(params)})${cleared}`);
      return { action: 'already-up', elapsedMs: Date.now() - started, paths, clearedFaults: before.faults, params };
    }
    if (before.present) {
      const other = !sameSeed ? `another seed (${kept?.seed ?? 'none recorded'})` : `other nodes (${before.nodes.length})`;
      log(before.up ? `the lab is up with ${other}; removing it to build ${scenarios.length} nodes with seed ${params.seed}` : 'a partial lab exists; removing it before building');
      await teardown(paths, log);
    }
    assertBlockFree(await (options.routes ?? rootRoutes)());
    try {
      await build(paths, scenarios, params, fleetSize(options.fleet) > 0 ? options.fleet : undefined, log);
    } catch (err) {
      log('build failed; removing what was made');
      try {
        await teardown(paths, log);
      } catch (cleanupErr) {
        log(`cleanup after the failed build failed too: ${(cleanupErr as Error).message}`);
      }
      throw err instanceof LabError ? err : new LabError(`lab up failed: ${(err as Error).message}`, { cause: err });
    }
    log(`lab is up in ${Date.now() - started} ms`);
    return { action: 'built', elapsedMs: Date.now() - started, paths, clearedFaults: [], params };
  });
}

/** Removes everything the lab made; works after a crash and when nothing exists. */
export async function labDown(options: { log?: Log } = {}): Promise<LabDownResult> {
  const started = Date.now();
  const log = options.log ?? silent;
  if (!isRoot()) throw new LabError(notRootMessage([]));
  const paths = labPaths();
  const removed = await withLock(paths, LOCK_WAIT_MS, () => teardown(paths, log));
  if (removed.length === 0) log('nothing to remove');
  return { removed, elapsedMs: Date.now() - started };
}

/** Turns a lab-wide fault (LAB_FAULTS) on or off; returns whether anything changed. */
export async function setFault(name: string, on: boolean): Promise<boolean> {
  const paths = labPaths();
  return withLock(paths, LOCK_WAIT_MS, () => toggleFault(paths, name, on));
}
