/**
 * The lab's wiring: namespaces, veth pairs, addresses, routes and sysctls, plus the one change in the
 * root namespace (an `unreachable` route for the lab block). Veths are created inside the router's
 * namespace with their peer placed straight into the other namespace, so no lab interface ever exists
 * in the root namespace, even for a moment.
 */
import { buildDelayLine } from './delay-line.js';
import { LabError } from '../../src/errors.js';
import {
  CTL_ADDRESS,
  CTL_IFACE,
  CTL_NETNS,
  CTL_SUBNET_PREFIX_LEN,
  LAB_BLOCK,
  NETNS_PREFIX,
  PROBE_NETNS,
  RTR_CTL_ADDRESS,
  RTR_CTL_IFACE,
  RTR_NETNS,
  bridgePortIface,
  nodeNetns,
  prefixesOverlap,
  routerAddress,
  routerIface,
} from './plan.js';
import { type LabScenario, type NodeLink, linkAddress, linkHost, sharedSubnets } from './scenarios-model.js';
import { run, runIn, tryRun } from './run.js';

export type Log = (line: string) => void;

// ---------------------------------------------------------------------------------------------
// The root namespace: look, never touch, except for the guard route.

/** A root-namespace route as `ip -j route show table all` gives it (the fields the lab looks at). */
export interface RouteJson {
  dst?: string;
  type?: string;
  table?: string;
  dev?: string;
}

export async function rootRoutes(): Promise<RouteJson[]> {
  return JSON.parse(await run('ip', ['-4', '-j', 'route', 'show', 'table', 'all'])) as RouteJson[];
}

function isGuardRoute(r: RouteJson): boolean {
  return r.type === 'unreachable' && r.dst === LAB_BLOCK && (r.table === undefined || r.table === 'main');
}

/** The routes (other than our own guard and default routes) that overlap the lab block. */
export function blockClashes(routes: readonly RouteJson[]): RouteJson[] {
  return routes.filter((r) => r.dst !== undefined && r.dst !== 'default' && !isGuardRoute(r) && prefixesOverlap(r.dst, LAB_BLOCK));
}

/** Refuses to build when any of the machine's routes (other than our own guard) overlaps the lab block. */
export function assertBlockFree(routes: readonly RouteJson[]): void {
  const clashes = blockClashes(routes);
  if (clashes.length > 0) {
    const list = clashes.map((r) => `${r.type ?? 'unicast'} ${r.dst ?? ''}${r.dev ? ` dev ${r.dev}` : ''}${r.table ? ` table ${r.table}` : ''}`).join('; ');
    throw new LabError(`the lab uses ${LAB_BLOCK}, but this machine already routes part of it (${list}); refusing to build the lab over it`);
  }
}

export async function guardRouteExists(): Promise<boolean> {
  return (await rootRoutes()).some(isGuardRoute);
}

/** So that lab traffic sent from the root namespace by mistake fails at once instead of leaving by the default route. */
export async function addGuardRoute(): Promise<void> {
  if (!(await guardRouteExists())) await run('ip', ['route', 'add', 'unreachable', LAB_BLOCK]);
}

export async function removeGuardRoute(): Promise<boolean> {
  if (!(await guardRouteExists())) return false;
  await run('ip', ['route', 'del', 'unreachable', LAB_BLOCK]);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Namespaces.

export async function listNetns(): Promise<string[]> {
  const out = (await run('ip', ['-j', 'netns', 'list'])).trim();
  if (out === '') return [];
  return (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}

export async function listLabNetns(): Promise<string[]> {
  return (await listNetns()).filter((n) => n.startsWith(NETNS_PREFIX)).sort();
}

async function addNetns(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function deleteNetns(name: string): Promise<void> {
  if (!name.startsWith(NETNS_PREFIX)) throw new LabError(`refusing to delete namespace ${name}: not a lab namespace`);
  await run('ip', ['netns', 'del', name]);
}

/** Namespaces cannot be made here: what was tried, and what the lab needs. */
export function noNamespacesError(attempt: string, result: { code: number | null; stderr: string }): LabError {
  return new LabError(
    `cannot create network namespaces here (${attempt}: ${result.stderr.trim() || `status ${result.code ?? 'unknown'}`}); ` +
      'the lab needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN, outside restricted containers',
  );
}

/**
 * Whether this process may create named namespaces at all (root alone is not enough in some
 * containers). The name is the lab's own, so this runs under the lab's lock.
 */
export async function probeNetnsPermission(): Promise<void> {
  if ((await listNetns()).includes(PROBE_NETNS)) await deleteNetns(PROBE_NETNS);
  const added = await tryRun('ip', ['netns', 'add', PROBE_NETNS]);
  if (added.code !== 0) throw noNamespacesError(`ip netns add ${PROBE_NETNS}`, added);
  await deleteNetns(PROBE_NETNS);
}

/** Deletes lab namespaces with one `ip -batch`: hundreds cost one process instead of one each. */
export async function deleteNetnsAll(names: readonly string[]): Promise<void> {
  const foreign = names.filter((n) => !n.startsWith(NETNS_PREFIX));
  if (foreign.length > 0) throw new LabError(`refusing to delete namespaces ${foreign.join(' ')}: not lab namespaces`);
  if (names.length === 0) return;
  await run('ip', ['-batch', '-'], { input: names.map((n) => `netns del ${n}\n`).join(''), timeoutMs: 60_000 });
}

// ---------------------------------------------------------------------------------------------
// Sysctls: written through /proc/sys from a shell inside the namespace (no dependency on procps'
// `sysctl`). Keys and values are positional parameters, never spliced into the script.

const WRITE_SYSCTLS = 'while [ "$#" -ge 2 ]; do printf "%s\\n" "$2" > "/proc/sys/$1" || exit 1; shift 2; done';

export async function writeSysctls(netns: string, settings: readonly [string, string][]): Promise<void> {
  if (settings.length === 0) return;
  await runIn(netns, 'sh', ['-c', WRITE_SYSCTLS, 'sh', ...settings.flat()]);
}

/**
 * rp_filter takes the maximum of conf/all and conf/<iface>, and a new namespace may inherit the
 * host's values (2 on many distributions), so every value is set explicitly: 0 unless a scenario
 * asks otherwise.
 */
function rpFilterSettings(ifaces: readonly string[]): [string, string][] {
  return [
    ['net/ipv4/conf/all/rp_filter', '0'],
    ['net/ipv4/conf/default/rp_filter', '0'],
    ...ifaces.map((i): [string, string] => [`net/ipv4/conf/${i}/rp_filter`, '0']),
  ];
}

// ---------------------------------------------------------------------------------------------
// Building.

async function buildControllerSide(): Promise<void> {
  await addNetns(CTL_NETNS);
  await run('ip', ['-n', CTL_NETNS, 'link', 'add', CTL_IFACE, 'type', 'veth', 'peer', 'name', RTR_CTL_IFACE, 'netns', RTR_NETNS]);
  await run('ip', ['-n', CTL_NETNS, 'addr', 'add', `${CTL_ADDRESS}/${CTL_SUBNET_PREFIX_LEN}`, 'dev', CTL_IFACE]);
  await run('ip', ['-n', CTL_NETNS, 'link', 'set', CTL_IFACE, 'up']);
  await run('ip', ['-n', RTR_NETNS, 'addr', 'add', `${RTR_CTL_ADDRESS}/${CTL_SUBNET_PREFIX_LEN}`, 'dev', RTR_CTL_IFACE]);
  await run('ip', ['-n', RTR_NETNS, 'link', 'set', RTR_CTL_IFACE, 'up']);
  // Only the lab block, never a default route: nothing from the controller side can leave the lab.
  await run('ip', ['-n', CTL_NETNS, 'route', 'add', LAB_BLOCK, 'via', RTR_CTL_ADDRESS]);
}

/**
 * A subnet several nodes share: a bridge in the router's namespace holding the router's address;
 * each node's veth is a port of it (bridgePortIface). Removed with the router's namespace.
 */
async function buildBridge(n: number, links: readonly NodeLink[]): Promise<void> {
  if (links.some((l) => l.routerMtu !== undefined || l.routerQdisc !== undefined || l.delayMs !== undefined)) {
    throw new LabError(`subnet ${n} is shared by several nodes: a per-node router MTU, qdisc or delay line cannot apply there`);
  }
  const bridge = routerIface(n);
  await run('ip', ['-n', RTR_NETNS, 'link', 'add', bridge, 'type', 'bridge', 'stp_state', '0']);
  await run('ip', ['-n', RTR_NETNS, 'addr', 'add', `${routerAddress(n)}/24`, 'dev', bridge]);
  await run('ip', ['-n', RTR_NETNS, 'link', 'set', bridge, 'up']);
}

/** The router's side of one node link: its own veth with the router's address, or a port of the subnet's bridge. */
async function buildRouterSide(link: NodeLink, nodeNs: string, bridged: boolean, stateDir: string): Promise<void> {
  if (bridged) {
    const port = bridgePortIface(link.n, linkHost(link));
    await run('ip', ['-n', RTR_NETNS, 'link', 'add', port, 'type', 'veth', 'peer', 'name', link.nodeIface, 'netns', nodeNs]);
    await run('ip', ['-n', RTR_NETNS, 'link', 'set', port, 'master', routerIface(link.n)]);
    await run('ip', ['-n', RTR_NETNS, 'link', 'set', port, 'up']);
    return;
  }
  const rIface = routerIface(link.n);
  if (link.delayMs === undefined) await run('ip', ['-n', RTR_NETNS, 'link', 'add', rIface, 'type', 'veth', 'peer', 'name', link.nodeIface, 'netns', nodeNs]);
  else await buildDelayLine(link.n, { routerNs: RTR_NETNS, routerIface: rIface, nodeNs, nodeIface: link.nodeIface, delayMs: link.delayMs }, stateDir);
  await run('ip', ['-n', RTR_NETNS, 'addr', 'add', `${routerAddress(link.n)}/24`, 'dev', rIface]);
  if (link.routerMtu !== undefined) await run('ip', ['-n', RTR_NETNS, 'link', 'set', rIface, 'mtu', String(link.routerMtu)]);
  await run('ip', ['-n', RTR_NETNS, 'link', 'set', rIface, 'up']);
}

async function buildNode(s: LabScenario, bridged: ReadonlySet<number>, stateDir: string): Promise<void> {
  const ns = nodeNetns(s.node);
  await addNetns(ns);
  for (const link of s.links) {
    await buildRouterSide(link, ns, bridged.has(link.n), stateDir);
    if (s.host === 'node') await run('ip', ['-n', ns, 'addr', 'add', `${linkAddress(link)}/24`, 'dev', link.nodeIface]);
    // The no-host peer is up too: the router's link has carrier and really sends ARP that nobody answers.
    await run('ip', ['-n', ns, 'link', 'set', link.nodeIface, 'up']);
  }
  const first = s.links[0];
  if (s.host === 'node' && first !== undefined) {
    await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', routerAddress(first.n)]);
    await writeSysctls(ns, rpFilterSettings(s.links.map((l) => l.nodeIface)));
  }
}

/** Forwarding on, reverse-path filtering off everywhere; scenarios that want it turn it on later (faults.ts). */
async function configureRouter(scenarios: readonly LabScenario[]): Promise<void> {
  const ifaces = [...new Set([RTR_CTL_IFACE, ...scenarios.flatMap((s) => s.links.map((l) => routerIface(l.n)))])];
  await writeSysctls(RTR_NETNS, [['net/ipv4/ip_forward', '1'], ...rpFilterSettings(ifaces)]);
}

/** Namespaces, links, addresses, routes and sysctls for the controller side, the router and every node. */
export async function buildTopology(scenarios: readonly LabScenario[], stateDir: string, log: Log): Promise<void> {
  await addNetns(RTR_NETNS);
  await buildControllerSide();
  log(`  ${CTL_NETNS} ${CTL_ADDRESS} <-> ${RTR_NETNS} ${RTR_CTL_ADDRESS}`);
  const bridged = sharedSubnets(scenarios);
  for (const n of bridged) await buildBridge(n, scenarios.flatMap((s) => s.links.filter((l) => l.n === n)));
  // Nodes in parallel: each touches only its own namespace and its own router interfaces (or bridge ports).
  await Promise.all(scenarios.map((s) => buildNode(s, bridged, stateDir)));
  await configureRouter(scenarios);
  log(`  ${scenarios.length} node namespaces wired to ${RTR_NETNS}`);
}
