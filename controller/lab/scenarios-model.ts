/**
 * The shape of the lab's tables (scenarios.ts: one node per scenario; scenarios-faults.ts: lab-wide
 * faults): what a scenario builds, with which kernel mechanism, and what twoway is expected to
 * conclude; plus the questions the builders ask of a scenario (its addresses, whether it runs sshd).
 */
import type { PathReport } from '../../src/report.js';
import type { AgentFlavour } from '../../src/agent-flavours.js';
import type { PathKind, VerdictKind } from '../../src/verdicts.js';
import { CALLBACK_PORTS, DEFAULT_HOST, nodeAddress } from './plan.js';

/**
 * The hooks the lab filters on; postrouting is a NAT chain, the others filter chains (prerouting at
 * priority filter, so after conntrack: its rules see `ct state` and may set a flow's ct timeout).
 */
export type NftHook = 'prerouting' | 'input' | 'output' | 'forward' | 'postrouting';

/** A named conntrack timeout policy (an nftables `ct timeout` object), given to flows by `ct timeout set "<name>"`. */
export interface NftCtTimeout {
  protocol: 'tcp' | 'udp';
  l3proto: 'ip';
  /** Seconds per conntrack state, e.g. { established: 3 }; states not named keep the kernel's defaults. */
  policy: Readonly<Record<string, number>>;
}

/** nftables rules (one statement list per line) by hook, and the named objects they use, for one namespace. */
export type NftRules = Partial<Record<NftHook, readonly string[]>> & {
  /** ct timeout objects by name (unique within the namespace's table). */
  ctTimeouts?: Readonly<Record<string, NftCtTimeout>>;
};

export interface NodeLink {
  /** Subnet 10.231.N.0/24: the router is .1, the node .`host`. */
  n: number;
  /**
   * The node's host number on the subnet (default 2). Several nodes may share a subnet with
   * different host numbers: the router then bridges them (a bridge routerIface(n) in its namespace).
   */
  host?: number;
  /** The veth's name inside the node's namespace. */
  nodeIface: string;
  /** MTU of the router's side of this link (the node's side stays 1500). */
  routerMtu?: number;
  /** `tc qdisc add dev <router side> root ...` arguments, shaping traffic toward the node. */
  routerQdisc?: readonly string[];
  /** A delay line (delay-line.ts) between the router and the node: this many ms each way. */
  delayMs?: number;
}

export interface ExpectedPath {
  /** callback: node -> controller port; forward: controller -> node port. */
  direction: 'callback' | 'forward';
  port: number;
  /** The path's port may be any from `port` to this (FTP data: whichever passive port was offered). */
  lastPort?: number;
  /** Only paths of this protocol (e.g. ftp, ftp-data); absent: any. */
  proto?: PathReport['proto'];
  verdict: PathKind;
  /** The node address the path uses (callback: its source, forward: its destination); absent: every such path. */
  address?: string;
}

/** What twoway should conclude for a node: its verdict and the verdicts of the paths named. */
export interface Expectation {
  node: VerdictKind;
  paths: readonly ExpectedPath[];
}

/** sshd scenarios whose SSH sessions see only a directory of chosen commands on PATH. */
export const SESSION_PATHS = ['no-runtime', 'only-python', 'only-curl', 'only-wget'] as const;
export type SessionPath = (typeof SESSION_PATHS)[number];

export function sessionPathOf(s: LabScenario): SessionPath | undefined {
  return (SESSION_PATHS as readonly string[]).includes(s.sshd) ? (s.sshd as SessionPath) : undefined;
}

export interface ScenarioExpectation extends Expectation {
  /**
   * A stateful idle timeout on the path: when the run holds its idle channel quiet for longer than
   * `afterMs` (report.run.settings.idleHoldMs), this is expected instead.
   */
  idleCut?: Expectation & { afterMs: number };
  /** What it shows when the run holds an idle channel at all (an agent flavour that cannot hold says not measured). */
  underHold?: Expectation;
}

export interface LabScenario {
  /** The node's name in the inventory; its namespace is twl-<node>. */
  node: string;
  description: string;
  /** The kernel feature that makes the fault, in words. */
  mechanism: string;
  /** The node's links to the router; the first carries the default route and comes first in the inventory. */
  links: readonly NodeLink[];
  /** no-host: the namespace holds the veth peer but no address, so nothing answers ARP. */
  host: 'node' | 'no-host';
  /**
   * running: sshd with the usual PATH; none: no sshd; the others: sshd whose sessions get a PATH of
   * their own (SESSION_PATHS above, the tools in sshd.ts): no runtime at all, or exactly one agent runtime.
   */
  sshd: 'running' | 'none' | SessionPath;
  /** The agent flavour runtime detection must pick on this node (nodes that run an agent). */
  agentFlavour?: AgentFlavour;
  /** The inventory says `ftp: true` for the node: the run tests FTP control and passive data callbacks too. */
  ftp?: boolean;
  /**
   * Ports besides 22 the node's sshd listens on: a service running there, as a forward probe and the
   * agent's listening sockets see it (a TCP listener is all they look at). Absent: SSH only.
   */
  servicePorts?: readonly number[];
  /** Rules in the node's own namespace (its host firewall). */
  nodeNft?: NftRules;
  /** Rules in the router's namespace (the network between controller and node). */
  routerNft?: NftRules;
  /** Per-interface sysctls on the router, relative to /proc/sys/net/ipv4/conf/<iface>/. */
  routerIfaceSysctls?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  expect: ScenarioExpectation;
}

/** The callback ports as nftables writes a set of them: "63001, 63002". */
export const CALLBACK_PORT_LIST = CALLBACK_PORTS.join(', ');

/** One expected path per callback port, from `address` when given (else from every address). */
export function expectedCallbacks(verdict: PathKind, address?: string): ExpectedPath[] {
  return CALLBACK_PORTS.map((port) => (address === undefined ? { direction: 'callback', port, verdict } : { direction: 'callback', port, verdict, address }));
}

/** The node's host number on one of its links. */
export function linkHost(link: NodeLink): number {
  return link.host ?? DEFAULT_HOST;
}

/** The node's address on one of its links. */
export function linkAddress(link: NodeLink): string {
  return nodeAddress(link.n, linkHost(link));
}

/** The node's addresses, in inventory order (the one carrying the default route first). */
export function scenarioAddresses(s: LabScenario): string[] {
  return s.links.map(linkAddress);
}

/** Subnets more than one link uses: the router bridges these instead of owning a veth per subnet. */
export function sharedSubnets(scenarios: readonly LabScenario[]): Set<number> {
  const count = new Map<number, number>();
  for (const s of scenarios) for (const l of s.links) count.set(l.n, (count.get(l.n) ?? 0) + 1);
  return new Set([...count].filter(([, c]) => c > 1).map(([n]) => n));
}

export function hasSshd(s: LabScenario): boolean {
  return s.sshd !== 'none';
}
