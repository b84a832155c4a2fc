/**
 * The lab's scenarios and lab-wide faults as plain data: which node, what is broken, with which kernel
 * mechanism, and what twoway is expected to conclude. topology.ts, sshd.ts and faults.ts build from
 * this table; the lab tests and demos read the expectations from it.
 */
import type { PathKind, VerdictKind } from '../../src/verdicts.js';
import { CALLBACK_PORTS, CTL_ADDRESS, RTR_CTL_ADDRESS, RTR_CTL_IFACE, nodeAddress, routerIface } from './plan.js';

/** The hooks the lab filters on; postrouting is a NAT chain, the others filter chains. */
export type NftHook = 'input' | 'output' | 'forward' | 'postrouting';
/** nftables rules (one statement list per line) by hook, for one namespace. */
export type NftRules = Partial<Record<NftHook, readonly string[]>>;

export interface NodeLink {
  /** Subnet 10.231.N.0/24: the router is .1, the node .2. */
  n: number;
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
  verdict: PathKind;
  /** The node address the path uses, when the node has several. */
  address?: string;
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
  /** running: sshd with the usual PATH; no-runtime: sshd whose sessions cannot find `node`; none: no sshd. */
  sshd: 'running' | 'no-runtime' | 'none';
  /** Rules in the node's own namespace (its host firewall). */
  nodeNft?: NftRules;
  /** Rules in the router's namespace (the network between controller and node). */
  routerNft?: NftRules;
  /** Per-interface sysctls on the router, relative to /proc/sys/net/ipv4/conf/<iface>/. */
  routerIfaceSysctls?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  expect: { node: VerdictKind; paths: readonly ExpectedPath[] };
}

const ports = CALLBACK_PORTS.join(', ');
const callbacks = (verdict: PathKind): ExpectedPath[] => CALLBACK_PORTS.map((port) => ({ direction: 'callback', port, verdict }));

export const LAB_SCENARIOS: readonly LabScenario[] = [
  {
    node: 'healthy',
    description: 'Nothing is wrong: SSH, callbacks and forward probes all pass.',
    mechanism: 'none',
    links: [{ n: 1, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    expect: { node: 'ok', paths: callbacks('ok') },
  },
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
      node: 'return-path-lost',
      paths: [{ direction: 'forward', port: 22, verdict: 'return-path-lost', address: nodeAddress(4) }, ...callbacks('ok')],
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
    expect: { node: 'stalled', paths: callbacks('stalled') },
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
    description: 'SSH works, but the node has no `node` on the PATH of SSH sessions.',
    mechanism: 'sshd with SetEnv PATH=<state>/nodes/noruntime/bin, a directory of a few basic tools without node',
    links: [{ n: 12, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'no-runtime',
    expect: { node: 'agent-no-runtime', paths: [] },
  },
];

export type LabFaultName = 'controller-ingress';

export interface LabFault {
  name: LabFaultName;
  description: string;
  mechanism: string;
  /** The namespace the fault's rules live in. */
  netns: 'ctl';
  nft: NftRules;
  /** What every node that has sshd is expected to show while the fault is on. */
  expectEverySshdNode: { node: VerdictKind; paths: readonly ExpectedPath[] };
}

/** Faults that affect the whole lab, toggled with `twoway lab fault <name> on|off`. */
export const LAB_FAULTS: readonly LabFault[] = [
  {
    name: 'controller-ingress',
    description: `The controller's own firewall drops the callback ports: every node's callbacks to ${CTL_ADDRESS} time out.`,
    mechanism: `nft input filter in the controller namespace: tcp dport { ${ports} } drop`,
    netns: 'ctl',
    nft: { input: [`tcp dport { ${ports} } drop`] },
    expectEverySshdNode: { node: 'blocked', paths: callbacks('blocked') },
  },
];

export function findFault(name: string): LabFault | undefined {
  return LAB_FAULTS.find((f) => f.name === name);
}

/** The node's addresses, in inventory order (the one carrying the default route first). */
export function scenarioAddresses(s: LabScenario): string[] {
  return s.links.map((l) => nodeAddress(l.n));
}

export function hasSshd(s: LabScenario): boolean {
  return s.sshd !== 'none';
}
