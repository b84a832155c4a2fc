/**
 * A fleet of generated healthy nodes for the lab (`twoway lab up --fleet N`): pure data, no I/O.
 * Each fleet node is an ordinary LabScenario (its own namespace and sshd), modelled on a real healthy
 * server: sshd on port 22 only, nothing else listening. The fleet sits on bridged subnets from
 * 10.231.100.0/24 upward (no static scenario uses those), up to FLEET_HOSTS_PER_SUBNET hosts each,
 * like servers on a few VLANs behind one router. Optional "dropped" fleet nodes have their
 * callbacks dropped by their own firewall, like the esxi-egress scenario does with all new TCP.
 */
import { LabError } from '../../src/errors.js';
import { CALLBACK_PORTS, nodeNetns, subnet } from './plan.js';
import { labScenarios } from './scenarios.js';
import type { LabParams } from './params.js';
import type { LabScenario, NodeLink } from './scenarios-model.js';

export const FLEET_MAX_NODES = 1000;
export const FLEET_MAX_DROPPED = 10;
/** The first fleet subnet (10.231.100.0/24); later ones follow, one per FLEET_HOSTS_PER_SUBNET nodes. */
const FLEET_FIRST_SUBNET = 100;
/** Hosts .2 to .251 of each fleet subnet (the router is .1). */
export const FLEET_HOSTS_PER_SUBNET = 250;
const FIRST_HOST = 2;
/** Every fleet node's name starts with this. */
const FLEET_PREFIX = 'fleet-';

export interface FleetSpec {
  /** Healthy nodes, fleet-001 and up. */
  nodes: number;
  /** Nodes whose callbacks their own firewall drops, fleet-dropped-1 and up. */
  dropped: number;
}

/** What `lab up` builds: the static scenarios (unless left out) and a fleet. */
export interface LabComposition {
  fleet?: FleetSpec;
  /** Build only the fleet (with the controller and router), none of the static scenarios. */
  onlyFleet?: boolean;
}

export function fleetSize(spec: FleetSpec | undefined): number {
  return spec === undefined ? 0 : spec.nodes + spec.dropped;
}

/** Refuses counts the address plan does not hold, and an only-fleet lab with no fleet. */
export function validateComposition(c: LabComposition): void {
  const { nodes, dropped } = c.fleet ?? { nodes: 0, dropped: 0 };
  if (!Number.isInteger(nodes) || nodes < 0 || nodes > FLEET_MAX_NODES) {
    throw new LabError(`a lab fleet has 0 to ${FLEET_MAX_NODES} healthy nodes, not ${nodes}`);
  }
  if (!Number.isInteger(dropped) || dropped < 0 || dropped > FLEET_MAX_DROPPED) {
    throw new LabError(`a lab fleet has 0 to ${FLEET_MAX_DROPPED} nodes with dropped callbacks, not ${dropped}`);
  }
  if (c.onlyFleet === true && nodes + dropped === 0) throw new LabError('an only-fleet lab needs at least one fleet node');
}

function pad(i: number, count: number): string {
  return String(i).padStart(Math.max(3, String(count).length), '0');
}

/** The k-th fleet node's link (k from 0 over healthy then dropped nodes): a port of its subnet's bridge. */
function fleetLink(k: number): NodeLink {
  return { n: FLEET_FIRST_SUBNET + Math.floor(k / FLEET_HOSTS_PER_SUBNET), host: FIRST_HOST + (k % FLEET_HOSTS_PER_SUBNET), nodeIface: 'eth0' };
}

const droppedPorts = CALLBACK_PORTS.join(', ');

export function fleetScenarios(spec: FleetSpec): LabScenario[] {
  validateComposition({ fleet: spec });
  const healthy = Array.from({ length: spec.nodes }, (_, i): LabScenario => {
    const link = fleetLink(i);
    return {
      node: `${FLEET_PREFIX}${pad(i + 1, spec.nodes)}`,
      description: `A generated healthy server on ${subnet(link.n)}: sshd on port 22 only, nothing else listening.`,
      mechanism: 'none',
      links: [link],
      host: 'node',
      sshd: 'running',
      expect: { node: 'ok', paths: CALLBACK_PORTS.map((port) => ({ direction: 'callback', port, verdict: 'ok' })) },
    };
  });
  const dropped = Array.from({ length: spec.dropped }, (_, i): LabScenario => {
    const link = fleetLink(spec.nodes + i);
    return {
      node: `${FLEET_PREFIX}dropped-${i + 1}`,
      description: `A fleet server on ${subnet(link.n)} whose own firewall drops new connections to the callback ports: the callbacks time out.`,
      mechanism: `nft output filter on the node: new tcp to dport { ${droppedPorts} } is dropped`,
      links: [link],
      host: 'node',
      sshd: 'running',
      nodeNft: { output: [`meta l4proto tcp ct state new tcp dport { ${droppedPorts} } drop`] },
      expect: { node: 'blocked', paths: CALLBACK_PORTS.map((port) => ({ direction: 'callback', port, verdict: 'blocked' })) },
    };
  });
  return [...healthy, ...dropped];
}

/** The scenarios `lab up` builds for this composition and these drawn values, static ones first. */
export function composeLab(c: LabComposition, params: LabParams): LabScenario[] {
  validateComposition(c);
  return [...(c.onlyFleet === true ? [] : labScenarios(params)), ...(c.fleet === undefined ? [] : fleetScenarios(c.fleet))];
}

export function isFleetNode(name: string): boolean {
  return name.startsWith(FLEET_PREFIX);
}

/** At most this many sshds are named one by one in `lab down`'s summary. */
const LISTED_SSHDS = 20;

/** What the lab made (as `lab down` and `lab status` list it), in order, with a fleet's namespaces and many sshds counted instead of listed. */
export function abridgeLabItems(items: readonly string[]): string[] {
  const isSshd = (r: string): boolean => /^sshd \d+$/.test(r);
  const isFleetNetns = (r: string): boolean => r.startsWith(nodeNetns(FLEET_PREFIX));
  const sshds = items.filter(isSshd);
  const fleetNamespaces = items.filter(isFleetNetns);
  const groups: [(r: string) => boolean, string][] = [[isFleetNetns, `${fleetNamespaces.length} fleet namespaces (${fleetNamespaces[0] ?? ''} ...)`]];
  if (sshds.length > LISTED_SSHDS) groups.push([isSshd, `${sshds.length} sshds`]);
  const said = new Set<string>();
  return items.flatMap((r) => {
    const group = groups.find(([belongs]) => belongs(r));
    if (group === undefined) return [r];
    if (said.has(group[1])) return [];
    said.add(group[1]);
    return [group[1]];
  });
}
