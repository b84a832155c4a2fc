/**
 * The fleet's wiring: what topology.ts gives a node on a shared subnet (its namespace, a veth whose
 * router end is a port of the subnet's bridge, an address and a default route), made with
 * `ip -batch` so that a node costs one `ip` process instead of about nine (200 nodes took 15 s one
 * command at a time, under 2 s batched). The batches are pure data, built here from the plan.
 *
 * Neighbours are permanent entries on both sides of each fleet link: the kernel keeps one ARP table
 * for all namespaces, whose default ceiling (net.ipv4.neigh.default.gc_thresh3, 1024 entries) a
 * fleet of 1000 nodes would pass with its router's and nodes' entries, where real servers spread
 * them over many machines. Permanent entries do not count against it, and the lab never touches
 * the machine's own sysctls.
 */
import pLimit from 'p-limit';
import { LabError } from '../../src/errors.js';
import { RTR_NETNS, bridgePortIface, nodeNetns, routerAddress, routerIface, subnet } from './plan.js';
import { type LabScenario, type NodeLink, linkAddress, linkHost } from './scenarios-model.js';
import { run } from './run.js';
import { type Log, writeSysctls } from './topology.js';

/** Nodes configured at once: each is one short `ip` process; more would only queue on two cores. */
const NODE_SETUP_CONCURRENCY = 16;
/** A batch of a thousand nodes' lines takes about a second; far more means something hangs. */
const BATCH_TIMEOUT_MS = 60_000;

function octet(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Locally administered MACs the lab chooses, so the permanent neighbour entries can name them. */
export function fleetNodeMac(link: NodeLink): string {
  return `02:74:77:00:${octet(link.n)}:${octet(linkHost(link))}`;
}

export function fleetBridgeMac(n: number): string {
  return `02:74:77:01:${octet(n)}:01`;
}

export interface FleetBatches {
  /** `ip -batch` lines in the root namespace: the nodes' named namespaces. */
  namespaces: string[];
  /** `ip -n twl-rtr -batch` lines: a bridge per fleet subnet, a port per node, the nodes' neighbour entries. */
  router: string[];
  /** `ip -n <node netns> -batch` lines, per node. */
  nodes: { netns: string; lines: string[] }[];
  /** The fleet's subnets, one bridge each in the router. */
  subnets: number[];
}

function onlyLink(s: LabScenario): NodeLink {
  const [link, ...more] = s.links;
  if (link === undefined || more.length > 0 || s.host !== 'node') throw new LabError(`fleet node ${s.node} must have exactly one link and a host`);
  return link;
}

export function fleetBatches(fleet: readonly LabScenario[]): FleetBatches {
  const subnets = [...new Set(fleet.map((s) => onlyLink(s).n))].sort((a, b) => a - b);
  const router = subnets.flatMap((n) => [
    `link add ${routerIface(n)} address ${fleetBridgeMac(n)} type bridge stp_state 0`,
    `addr add ${routerAddress(n)}/24 dev ${routerIface(n)}`,
    `link set ${routerIface(n)} up`,
  ]);
  const nodes = fleet.map((s) => {
    const link = onlyLink(s);
    const port = bridgePortIface(link.n, linkHost(link));
    const netns = nodeNetns(s.node);
    router.push(
      `link add ${port} type veth peer name ${link.nodeIface} address ${fleetNodeMac(link)} netns ${netns}`,
      `link set ${port} master ${routerIface(link.n)}`,
      `link set ${port} up`,
      `neigh replace ${linkAddress(link)} lladdr ${fleetNodeMac(link)} dev ${routerIface(link.n)} nud permanent`,
    );
    const lines = [
      'link set lo up',
      `addr add ${linkAddress(link)}/24 dev ${link.nodeIface}`,
      `link set ${link.nodeIface} up`,
      `route add default via ${routerAddress(link.n)}`,
      `neigh replace ${routerAddress(link.n)} lladdr ${fleetBridgeMac(link.n)} dev ${link.nodeIface} nud permanent`,
    ];
    return { netns, lines };
  });
  return { namespaces: fleet.map((s) => `netns add ${nodeNetns(s.node)}`), router, nodes, subnets };
}

function batch(args: readonly string[], lines: readonly string[]): Promise<string> {
  return run('ip', [...args, '-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: BATCH_TIMEOUT_MS });
}

/**
 * Namespaces, bridges, links, addresses, routes and neighbours of every fleet node; after
 * buildTopology (the router exists, and its default rp_filter is already 0). A fleet node is
 * single-homed, so its own rp_filter needs no setting.
 */
export async function buildFleetTopology(fleet: readonly LabScenario[], log: Log): Promise<void> {
  if (fleet.length === 0) return;
  const plan = fleetBatches(fleet);
  await batch([], plan.namespaces);
  await batch(['-n', RTR_NETNS], plan.router);
  await writeSysctls(RTR_NETNS, plan.subnets.map((n): [string, string] => [`net/ipv4/conf/${routerIface(n)}/rp_filter`, '0']));
  const limit = pLimit(NODE_SETUP_CONCURRENCY);
  await Promise.all(plan.nodes.map((node) => limit(() => batch(['-n', node.netns], node.lines))));
  log(`  ${fleet.length} fleet namespaces wired to ${RTR_NETNS}, bridged on ${plan.subnets.map(subnet).join(', ')}`);
}
