/**
 * The lab's scenarios as plain data, one node each: what is broken, with which kernel mechanism, and
 * what twoway is expected to conclude (the shape is scenarios-model.ts). topology.ts, sshd.ts and
 * faults.ts build from this table; the lab tests and demos read the expectations from it. The
 * lab-wide faults are scenarios-faults.ts.
 */
import type { AgentFlavour } from '../../src/agent-flavours.js';
import { CALLBACK_PORTS, RTR_CTL_ADDRESS, RTR_CTL_IFACE, nodeAddress, routerIface, subnet } from './plan.js';
import { type LabParams, drawLabParams } from './params.js';
import {
  CALLBACK_PORT_LIST as ports,
  type Expectation,
  type LabScenario,
  type ScenarioExpectation,
  type SessionPath,
  expectedCallbacks as callbacks,
} from './scenarios-model.js';

/** The subnet web1 and web2 share (a bridge in the router); the subnet-egress fault cuts it off. */
export const SHARED_SUBNET = 20;

/** The switch's FTP ports: the update manager's defaults, which the lab's runs use. */
export const LAB_FTP_PORT = 21;
export const LAB_FTP_DATA_PORTS = { first: 63006, last: 63010 } as const;
const ftpData = `${LAB_FTP_DATA_PORTS.first}-${LAB_FTP_DATA_PORTS.last}`;

/** The idle node's subnet (the conntrack established timeout the router gives its callback flows is drawn: params.ts). */
const IDLE_SUBNET = 14;
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

/** The lossy node's subnet. */
export const LOSSY_SUBNET = 27;

/**
 * The lab's scenarios with the fault values of one build (params.ts draws them from a seed). A
 * built lab's own values are in its record (lab.json; `lab status --json` shows them).
 */
export function labScenarios(params: LabParams): LabScenario[] {
  const { mtu, latencyMs, lossPct, rateMbit, idleTimeoutS } = params;
  const lossPermille = Math.round(lossPct * 10);
  return [
  {
    node: 'healthy',
    description:
      'Nothing is wrong: SSH, callbacks and forward SSH pass. Like a real server it serves SSH only, so the linux profile\'s forward 443 ' +
      'is closed (the node resets it, its agent sees nothing listening): the path works, information only (the "closed443" case).',
    mechanism: 'none',
    links: [{ n: 1, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    agentFlavour: 'node',
    expect: {
      node: 'ok',
      paths: [...callbacks('ok'), { direction: 'forward', port: 22, verdict: 'ok' }, { direction: 'forward', port: 443, verdict: 'closed' }],
    },
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
      `router interface ${routerIface(6)} has MTU ${mtu} (node side 1500); nft output on the router drops icmp frag-needed; ` +
      'nft forward on the router clamps the MSS of SSH (tcp port 22) to the route MTU so the agent can still be streamed',
    links: [{ n: 6, nodeIface: 'eth0', routerMtu: mtu }],
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
      `A stateful firewall on the router forgets this node's callback flows after ${idleTimeoutS} s of silence and drops what follows: ` +
      'short exchanges pass, a connection held quiet longer (the idle-hold channel) dies silently. SSH keeps the default timeouts.',
    mechanism:
      `nft on the router: a ct timeout object (tcp, established ${idleTimeoutS} s) set in prerouting for ${idleFlows}; ` +
      'forward drops, both ways, packets of those flows that are ct state invalid, or ct state new without a bare SYN (mid-flow after the entry expired)',
    links: [{ n: IDLE_SUBNET, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    routerNft: {
      ctTimeouts: { idle_callbacks: { protocol: 'tcp', l3proto: 'ip', policy: { established: idleTimeoutS } } },
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
      idleCut: { afterMs: idleTimeoutS * 1000, node: 'idle-cut', paths: callbacks('idle-cut') },
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
    mechanism: `tc tbf rate ${rateMbit}mbit on the router's interface ${routerIface(8)}; nft forward on the router drops ~1% of packets to ${nodeAddress(8)} (numgen random)`,
    links: [{ n: 8, nodeIface: 'eth0', routerQdisc: ['tbf', 'rate', `${rateMbit}mbit`, 'burst', '16kb', 'latency', '100ms'] }],
    host: 'node',
    sshd: 'running',
    routerNft: { forward: [`ip daddr ${nodeAddress(8)} numgen random mod 100 < 1 drop`] },
    // Only the plain-HTTP ladder carries transfers large enough to measure throughput.
    expect: { node: 'slow', paths: [{ direction: 'callback', port: CALLBACK_PORTS[0], verdict: 'slow' }] },
  },
  {
    node: 'lossy',
    description:
      `A long, lossy link: ${latencyMs} ms each way and ${lossPct} % of the node's segments toward the controller lost; every transfer completes, ` +
      'with a long round trip, retransmissions and a crawling upload.',
    mechanism:
      `a delay line between the router's ${routerIface(LOSSY_SUBNET)} and the node's eth0 (namespace twl-w${LOSSY_SUBNET}, controller/lab/delay-line.ts): ${latencyMs} ms each way; ` +
      `nft forward on the router drops ${lossPct} % of the node's non-SYN segments to the callback ports (numgen random). Only that way: ` +
      'the same loss on the 8 MiB download at this round trip would make it time out instead of crawl; and SYNs are spared so no connect times out',
    links: [{ n: LOSSY_SUBNET, nodeIface: 'eth0', delayMs: latencyMs }],
    host: 'node',
    sshd: 'running',
    routerNft: { forward: [`ip saddr ${nodeAddress(LOSSY_SUBNET)} tcp dport { ${ports} } tcp flags & syn == 0 numgen random mod 1000 < ${lossPermille} drop`] },
    // The plain-HTTP ladder carries the 1 MiB upload whose retransmissions the agent counts.
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
    node: 'fw-reset443',
    description:
      'A service listens on 443, but the node\'s own firewall answers connections to it with a reset: the forward probe is refused while ' +
      'the agent sees the listener, so it is rejected by a firewall, not a closed port.',
    mechanism: 'sshd also listens on 443 in the node\'s namespace (the service); nft input filter on the node: tcp dport 443 reject with tcp reset',
    links: [{ n: 26, nodeIface: 'eth0' }],
    host: 'node',
    sshd: 'running',
    servicePorts: [443],
    nodeNft: { input: ['tcp dport 443 reject with tcp reset'] },
    expect: { node: 'rejected', paths: [...callbacks('ok'), { direction: 'forward', port: 22, verdict: 'ok' }, { direction: 'forward', port: 443, verdict: 'rejected' }] },
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
}

/**
 * The scenarios' nodes, links, addresses and descriptions, for what does not depend on the drawn
 * values (names, inventories, topology checks). A built lab's fault values and expectations (idle
 * timeout, MTU, rate, latency, loss) are labScenarios(<its params>): never these.
 */
export const LAB_SCENARIOS: readonly LabScenario[] = labScenarios(drawLabParams(0));
