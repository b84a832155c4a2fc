/**
 * The lab's scenarios and lab-wide faults as plain data: which node, what is broken, with which kernel
 * mechanism, and what twoway is expected to conclude. topology.ts, sshd.ts and faults.ts build from
 * this table; the lab tests and demos read the expectations from it.
 */
import type { PathReport } from '../../src/report.js';
import type { AgentFlavour } from '../../src/agent-flavours.js';
import type { PathKind, VerdictKind } from '../../src/verdicts.js';
import { CALLBACK_PORTS, CTL_ADDRESS, DEFAULT_HOST, RTR_CTL_ADDRESS, RTR_CTL_IFACE, nodeAddress, routerIface, subnet } from './plan.js';

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
  /** The ports sshd listens on; absent: 22 and 443 (the linux profile probes both forward). */
  sshdPorts?: readonly number[];
  /** The agent flavour runtime detection must pick on this node (nodes that run an agent). */
  agentFlavour?: AgentFlavour;
  /** The inventory says `ftp: true` for the node: the run tests FTP control and passive data callbacks too. */
  ftp?: boolean;
  /** Rules in the node's own namespace (its host firewall). */
  nodeNft?: NftRules;
  /** Rules in the router's namespace (the network between controller and node). */
  routerNft?: NftRules;
  /** Per-interface sysctls on the router, relative to /proc/sys/net/ipv4/conf/<iface>/. */
  routerIfaceSysctls?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  expect: ScenarioExpectation;
}

const ports = CALLBACK_PORTS.join(', ');
/** One expected path per callback port, from `address` when given (else from every address). */
const callbacks = (verdict: PathKind, address?: string): ExpectedPath[] =>
  CALLBACK_PORTS.map((port) => (address === undefined ? { direction: 'callback', port, verdict } : { direction: 'callback', port, verdict, address }));

/** The subnet web1 and web2 share (a bridge in the router); the subnet-egress fault cuts it off. */
export const SHARED_SUBNET = 20;

/** The switch's FTP ports: the update manager's defaults, which the lab's runs use. */
export const LAB_FTP_PORT = 21;
export const LAB_FTP_DATA_PORTS = { first: 63006, last: 63010 } as const;
const ftpData = `${LAB_FTP_DATA_PORTS.first}-${LAB_FTP_DATA_PORTS.last}`;

/** The idle node's subnet, and the conntrack established timeout the router gives its callback flows. */
const IDLE_SUBNET = 14;
export const IDLE_TIMEOUT_SECONDS = 3;
/** The idle hold the demo and the end-to-end test run with: clearly longer than the lab's idle timeout. */
export const LAB_IDLE_HOLD_SECONDS = IDLE_TIMEOUT_SECONDS + 2;
const idleFlows = `ip saddr ${nodeAddress(IDLE_SUBNET)} tcp dport { ${ports} }`;
const idleReplies = `ip daddr ${nodeAddress(IDLE_SUBNET)} tcp sport { ${ports} }`;

/** The single-runtime nodes (issue 6): each is healthy, on subnets 21, 22, 23. */
const ONE_RUNTIME_SUBNET = 21;
const ONE_RUNTIME: readonly [SessionPath, AgentFlavour, string, { https: boolean; hold: boolean }][] = [
  ['only-python', 'python', 'python3', { https: true, hold: true }],
  ['only-curl', 'sh-curl', 'sh and curl', { https: true, hold: false }],
  ['only-wget', 'sh-wget', 'busybox sh and busybox wget', { https: false, hold: false }],
];

/** A healthy node as a flavour sees it: ok where it can measure, not measured where it cannot (never a guess). */
function healthyAsMeasuredBy(measures: { https: boolean; hold: boolean }): Pick<ScenarioExpectation, 'node' | 'paths' | 'underHold'> {
  const all = measures.https;
  const expect: Expectation = all
    ? { node: 'ok', paths: callbacks('ok') }
    : { node: 'not-measured', paths: [{ direction: 'callback', port: CALLBACK_PORTS[0], verdict: 'ok' }, { direction: 'callback', port: CALLBACK_PORTS[1], verdict: 'not-measured' }] };
  return { ...expect, ...(measures.hold ? {} : { underHold: { node: 'not-measured', paths: callbacks('not-measured') } }) };
}

export const LAB_SCENARIOS: readonly LabScenario[] = [
  {
    node: 'healthy',
    description: 'Nothing is wrong: SSH, callbacks and forward probes all pass.',
    mechanism: 'none',
    links: [{ n: 1, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    agentFlavour: 'node',
    expect: { node: 'ok', paths: callbacks('ok') },
  },
  ...[2, 3].map(
    (host, i): LabScenario => ({
      node: `web${i + 1}`,
      description: `A healthy node on ${subnet(SHARED_SUBNET)}, a subnet it shares with web${2 - i} (one bridge in the router, like servers on one VLAN).`,
      mechanism: 'none',
      links: [{ n: SHARED_SUBNET, host, nodeIface: 'eth0' }],
      host: 'node',
      sshd: 'running',
      expect: { node: 'ok', paths: callbacks('ok') },
    }),
  ),
  {
    node: 'esxi-egress',
    description: 'Like VMware ESXi by default: new outbound TCP is allowed to 80 and 443 only, so callbacks to 63001/63002 time out.',
    mechanism: 'nft output filter on the node: established/related and new tcp to dport 80, 443 pass; other new outbound tcp is dropped',
    links: [{ n: 2, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    nodeNft: {
      output: [
        // SSH replies are part of connections the controller opened, so they count as established.
        'ct state established,related accept',
        'oifname "lo" accept',
        'meta l4proto tcp ct state new tcp dport { 80, 443 } accept',
        'meta l4proto tcp ct state new drop',
      ],
    },
    expect: { node: 'blocked', paths: callbacks('blocked') },
  },
  {
    node: 'reject',
    description: 'The node\'s firewall rejects the callback ports with a TCP reset.',
    mechanism: `nft output filter on the node: tcp dport { ${ports} } reject with tcp reset`,
    links: [{ n: 3, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    nodeNft: { output: [`tcp dport { ${ports} } reject with tcp reset`] },
    expect: { node: 'rejected', paths: callbacks('rejected') },
  },
  {
    node: 'return-acl',
    description:
      'A one-way (stateless) ACL on the router drops the controller\'s answers on the callback ports: the node\'s SYN reaches the controller, ' +
      'the SYN-ACK never comes back. SSH and forward probes (source port 22, 443) pass.',
    mechanism: `nft forward filter on the router, no conntrack match: ip daddr ${nodeAddress(13)} tcp sport { ${ports} } drop`,
    links: [{ n: 13, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    routerNft: { forward: [`ip daddr ${nodeAddress(13)} tcp sport { ${ports} } drop`] },
    expect: { node: 'return-path-lost', paths: callbacks('return-path-lost') },
  },
  {
    node: 'dual',
    description:
      'A dual-homed server (management + production NIC, like HP Integrity) whose default route leaves by the production NIC: ' +
      'SSH to the production address works, answers from the management address leave by the wrong NIC and the router drops them.',
    mechanism: `two veths (mgmt ${nodeAddress(4)}, prod ${nodeAddress(5)}), node default route via prod; strict rp_filter on the router's prod-side interface ${routerIface(5)}`,
    links: [
      { n: 5, nodeIface: 'prod' },
      { n: 4, nodeIface: 'mgmt' },
    ],
    host: 'node',
    sshd: 'running',
    routerIfaceSysctls: { [routerIface(5)]: { rp_filter: '1' } },
    expect: {
      // Callback paths come first in the classifier and worse() keeps the first of equal severity:
      // the mgmt-sourced callbacks' 'blocked' is the node's verdict.
      node: 'blocked',
      paths: [
        { direction: 'forward', port: 22, verdict: 'return-path-lost', address: nodeAddress(4) },
        // From prod: leaves by the prod NIC, which the router expects.
        ...callbacks('ok', nodeAddress(5)),
        // From mgmt: the SYN leaves by the default route on the prod NIC; strict rp_filter on r5 drops it.
        ...callbacks('blocked', nodeAddress(4)),
      ],
    },
  },
  {
    node: 'mtu',
    description:
      'A low-MTU link whose router drops the ICMP fragmentation-needed it generates (an MTU black hole): 1 KiB answers pass, 64 KiB+ downloads stall.',
    mechanism:
      `router interface ${routerIface(6)} has MTU 1400 (node side 1500); nft output on the router drops icmp frag-needed; ` +
      'nft forward on the router clamps the MSS of SSH (tcp port 22) to the route MTU so the agent can still be streamed',
    links: [{ n: 6, nodeIface: 'eth0', routerMtu: 1400 }],
    host: 'node',
    sshd: 'running',
    routerNft: {
      output: ['icmp type destination-unreachable icmp code frag-needed drop'],
      // Without this the agent itself (tens of KiB over SSH) would black-hole too, and the node would
      // show agent-timeout instead of the stalled downloads this scenario is about.
      forward: [
        `oifname "${routerIface(6)}" tcp dport 22 tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu`,
        `iifname "${routerIface(6)}" tcp sport 22 tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu`,
      ],
    },
    expect: { node: 'mtu-blackhole', paths: callbacks('mtu-blackhole') },
  },
  {
    node: 'idle',
    description:
      `A stateful firewall on the router forgets this node's callback flows after ${IDLE_TIMEOUT_SECONDS} s of silence and drops what follows: ` +
      'short exchanges pass, a connection held quiet longer (the idle-hold channel) dies silently. SSH keeps the default timeouts.',
    mechanism:
      `nft on the router: a ct timeout object (tcp, established ${IDLE_TIMEOUT_SECONDS} s) set in prerouting for ${idleFlows}; ` +
      'forward drops, both ways, packets of those flows that are ct state invalid, or ct state new without a bare SYN (mid-flow after the entry expired)',
    links: [{ n: IDLE_SUBNET, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    routerNft: {
      ctTimeouts: { idle_callbacks: { protocol: 'tcp', l3proto: 'ip', policy: { established: IDLE_TIMEOUT_SECONDS } } },
      prerouting: [`${idleFlows} ct state new ct timeout set "idle_callbacks"`],
      forward: [
        `${idleFlows} ct state invalid drop`,
        `${idleReplies} ct state invalid drop`,
        `${idleFlows} ct state new tcp flags & (syn | ack) != syn drop`,
        `${idleReplies} ct state new tcp flags & (syn | ack) != syn drop`,
      ],
    },
    expect: {
      node: 'ok',
      paths: callbacks('ok'),
      // The hold probe belongs to each callback path (one per port).
      idleCut: { afterMs: IDLE_TIMEOUT_SECONDS * 1000, node: 'idle-cut', paths: callbacks('idle-cut') },
    },
  },
  {
    node: 'snat',
    description: 'A NAT on the path: the controller sees the router\'s address instead of the node\'s.',
    mechanism: `nft postrouting NAT on the router: from ${nodeAddress(7)} out of ${RTR_CTL_IFACE} (toward the controller) snat to ${RTR_CTL_ADDRESS}`,
    links: [{ n: 7, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    routerNft: { postrouting: [`oifname "${RTR_CTL_IFACE}" ip saddr ${nodeAddress(7)} snat ip to ${RTR_CTL_ADDRESS}`] },
    expect: { node: 'source-mismatch', paths: callbacks('source-mismatch') },
  },
  {
    node: 'slow',
    description: 'A thin, lossy link: transfers complete, slowly.',
    mechanism: `tc tbf rate 4mbit on the router's interface ${routerIface(8)}; nft forward on the router drops ~1% of packets to ${nodeAddress(8)} (numgen random)`,
    links: [{ n: 8, nodeIface: 'eth0', routerQdisc: ['tbf', 'rate', '4mbit', 'burst', '16kb', 'latency', '100ms'] }],
    host: 'node',
    sshd: 'running',
    routerNft: { forward: [`ip daddr ${nodeAddress(8)} numgen random mod 100 < 1 drop`] },
    // Only the plain-HTTP ladder carries transfers large enough to measure throughput.
    expect: { node: 'slow', paths: [{ direction: 'callback', port: CALLBACK_PORTS[0], verdict: 'slow' }] },
  },
  {
    node: 'switch',
    description:
      `A switch fetching firmware over FTP (the lab runs the agent on its management address, with ftp: true): the firewall on the way passes FTP control (${LAB_FTP_PORT}) ` +
      `and drops the passive data range ${ftpData}, so the login works and the data connection times out.`,
    mechanism: `nft forward filter on the router: ip saddr ${nodeAddress(15)} tcp dport ${ftpData} drop`,
    links: [{ n: 15, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    ftp: true,
    routerNft: { forward: [`ip saddr ${nodeAddress(15)} tcp dport ${ftpData} drop`] },
    expect: {
      node: 'blocked',
      paths: [
        ...callbacks('ok'),
        { direction: 'callback', port: LAB_FTP_PORT, proto: 'ftp', verdict: 'ok' },
        { direction: 'callback', port: LAB_FTP_DATA_PORTS.first, lastPort: LAB_FTP_DATA_PORTS.last, proto: 'ftp-data', verdict: 'blocked' },
      ],
    },
  },
  {
    node: 'sshd-stopped',
    description: 'The host is up but no sshd runs: SSH is refused.',
    mechanism: 'namespace with an address and no sshd; the kernel answers SYN to port 22 with RST',
    links: [{ n: 9, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'none',
    expect: { node: 'ssh-refused', paths: [] },
  },
  {
    node: 'ssh-dropped',
    description: 'A firewall on the node drops SSH: the connection times out.',
    mechanism: 'nft input filter on the node: tcp dport 22 drop',
    links: [{ n: 10, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    nodeNft: { input: ['tcp dport 22 drop'] },
    expect: { node: 'ssh-unreachable', paths: [] },
  },
  {
    node: 'nohost',
    description: 'The address is routed but nobody holds it: ARP fails and the router answers host unreachable.',
    mechanism: `the router has ${routerIface(11)} on the subnet; its veth peer sits in an empty namespace with no address`,
    links: [{ n: 11, nodeIface: 'eth0' }],
    host: 'no-host',
    sshd: 'none',
    expect: { node: 'ssh-unreachable', paths: [] },
  },
  {
    node: 'noruntime',
    description: 'SSH works, but the PATH of SSH sessions offers no agent runtime (no node, python3, curl or wget).',
    mechanism: 'sshd with SetEnv PATH=<state>/nodes/noruntime/bin, a directory of a few basic tools without any agent runtime',
    links: [{ n: 12, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'no-runtime',
    expect: { node: 'agent-no-runtime', paths: [] },
  },
  ...ONE_RUNTIME.map(
    ([sshd, flavour, what, measures], i): LabScenario => ({
      node: sshd,
      description: `A healthy node whose SSH sessions offer ${what} and no other agent runtime: the ${flavour} agent must reach the same verdicts as the Node agent.`,
      mechanism: `sshd with SetEnv PATH=<state>/nodes/${sshd}/bin, a directory of symlinks: ${what} and basic tools`,
      links: [{ n: ONE_RUNTIME_SUBNET + i, nodeIface: 'eth0' }],
      host: 'node',
      sshd,
      agentFlavour: flavour,
      expect: healthyAsMeasuredBy(measures),
    }),
  ),
];

export type LabFaultName = 'controller-ingress' | 'subnet-egress';

export interface LabFault {
  name: LabFaultName;
  description: string;
  mechanism: string;
  /** The namespace the fault's rules live in: the controller's or the router's. */
  netns: 'ctl' | 'rtr';
  /** The callback ports its rules drop: paths to other ports (FTP) keep their verdicts. */
  ports: readonly number[];
  nft: NftRules;
  /**
   * Whose callbacks it can cut: every node's ('all'), or those sent from addresses on these subnets.
   * Of those, only callbacks that got as far as the fault before are affected (not ones a node's own
   * firewall or the path already stops).
   */
  affects: 'all' | { subnets: readonly number[] };
  /** What a node with affected callbacks is expected to show while the fault is on. */
  expectAffected: Expectation;
}

/** Faults that affect the whole lab, toggled with `twoway lab fault <name> on|off`. */
export const LAB_FAULTS: readonly LabFault[] = [
  {
    name: 'controller-ingress',
    description: `The controller's own firewall drops the callback ports: every node's callbacks to ${CTL_ADDRESS} time out.`,
    mechanism: `nft input filter in the controller namespace: tcp dport { ${ports} } drop`,
    netns: 'ctl',
    ports: CALLBACK_PORTS,
    nft: { input: [`tcp dport { ${ports} } drop`] },
    affects: 'all',
    expectAffected: { node: 'blocked', paths: callbacks('blocked') },
  },
  {
    name: 'subnet-egress',
    description: `A firewall on the router drops new connections to the callback ports from ${subnet(SHARED_SUBNET)} only: web1 and web2 cannot call back, the other nodes keep their verdicts.`,
    mechanism: `nft forward filter in the router namespace: ip saddr ${subnet(SHARED_SUBNET)} tcp dport { ${ports} } ct state new drop`,
    netns: 'rtr',
    ports: CALLBACK_PORTS,
    nft: { forward: [`ip saddr ${subnet(SHARED_SUBNET)} tcp dport { ${ports} } ct state new drop`] },
    affects: { subnets: [SHARED_SUBNET] },
    expectAffected: { node: 'blocked', paths: callbacks('blocked') },
  },
];

export function findFault(name: string): LabFault | undefined {
  return LAB_FAULTS.find((f) => f.name === name);
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
