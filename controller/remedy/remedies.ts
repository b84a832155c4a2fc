/**
 * Fixes that can be pasted: pure functions from a diagnosed path (and the run's ports) to the lines
 * an operator runs on the node, the controller, a router or an ESXi host. The kind's general advice
 * lives in VERDICTS; these are the specific commands for what this run saw.
 */
import type { ProfileHints } from '../../src/profiles.js';
import type { NodeReport, PathReport, Remedy } from '../../src/report.js';
import { sizeLabel } from '../diagnose/classify.js';
import { iptablesPorts, nftPorts, portRuns } from './port-sets.js';

export interface RemedyContext {
  httpPort: number;
  httpsPort: number;
  /** The node's profile's behaviour (which firewall the node has). */
  hints: ProfileHints;
}

/** The update manager's rule file for ESXi's firewall (README.md, "Profiles: the update manager's port tables"), one rule per callback port. */
export function esxiRuleFile(ports: readonly number[]): Remedy[] {
  const rules = ports.flatMap((port, i) => [
    `    <rule id='${String(i).padStart(4, '0')}'>`,
    '      <direction>outbound</direction>',
    '      <protocol>tcp</protocol>',
    '      <porttype>dst</porttype>',
    `      <port>${port}</port>`,
    '    </rule>',
  ]);
  return [
    {
      title: `If the node is VMware ESXi (outbound allows only 80/443 by default): a firewall rule file for ${ports.join(' and ')}`,
      where: '/etc/vmware/firewall/hpsum.xml on the ESXi host',
      lines: ['<ConfigRoot>', "  <service id='0150'>", '    <id>hpsum</id>', ...rules, '    <enabled>true</enabled>', '    <required>false</required>', '  </service>', '</ConfigRoot>'],
    },
    {
      title: 'Then load it (rule files are read at refresh; repeat after a reboot unless made persistent)',
      where: 'on the ESXi host',
      lines: ['esxcli network firewall refresh', 'esxcli network firewall ruleset list | grep hpsum'],
    },
  ];
}

/** Both forms of moving the update manager to the alternate ports that passed. */
export function portChange(http: number, https: number): Remedy[] {
  return [
    {
      title: `Ports ${http}/${https} pass where the callback ports do not: move the update manager there`,
      where: 'update manager command line (and `twoway run` to re-test)',
      lines: [`--port ${http} --ssl-port ${https}`],
    },
    { title: 'or in its configuration file', where: 'hpsum.ini', lines: [`port=${http}`, `ssl_port=${https}`] },
  ];
}

/** Lets the callback ports through a Linux host's own output firewall. */
function nodeEgress(controller: string, ports: readonly number[]): Remedy {
  const list = ports.join(',');
  return {
    title: 'If the node is Linux and its own firewall drops the callbacks (pick the tool it uses)',
    where: 'on the node',
    lines: [
      `iptables -I OUTPUT -p tcp -d ${controller} -m multiport --dports ${list} -j ACCEPT`,
      `nft insert rule inet filter output ip daddr ${controller} tcp dport { ${ports.join(', ')} } accept   # chain: the one that drops (nft -a list ruleset)`,
    ],
  };
}

/** A dual-homed node whose traffic from one address leaves by the other NIC's route. */
function sourceRouting(address: string, workingNic: string | undefined): Remedy[] {
  return [
    {
      title: `Traffic from ${address} leaves by another interface's route and is dropped: give that address its own route out`,
      where: 'on the node',
      lines: [`ip rule add from ${address} lookup 100`, `ip route add default via <gateway on ${address}'s subnet> table 100`],
    },
    ...(workingNic === undefined
      ? []
      : [{ title: `or have the update manager reach this node by ${workingNic}, whose callbacks work`, where: 'update manager node list', lines: [workingNic] }]),
  ];
}

/** Opens listener ports on the controller's own firewall; into the chain that drops them when it is known (preflight). */
export function controllerIngress(ports: readonly number[], droppingChain?: { family: string; table: string; chain: string }): Remedy {
  const nft =
    droppingChain === undefined
      ? `nft insert rule inet filter input tcp dport { ${nftPorts(ports)} } accept   # chain: the one that drops (nft -a list ruleset)`
      : `nft insert rule ${droppingChain.family} ${droppingChain.table} ${droppingChain.chain} tcp dport { ${nftPorts(ports)} } accept`;
  return {
    title: `Open ${nftPorts(ports)} on the controller's own firewall (pick the tool it uses), and check the listener binds the address nodes call`,
    where: 'on the controller',
    lines: [
      `iptables -I INPUT -p tcp -m multiport --dports ${iptablesPorts(ports)} -j ACCEPT`,
      nft,
      ...portRuns(ports).map(([a, b]) => `firewall-cmd --add-port=${a === b ? a : `${a}-${b}`}/tcp`),
      `ss -ltn '( sport = :${ports[0]} )'`,
    ],
  };
}

/** A firewall or router between a group of nodes and the controller. */
export function pathFirewall(fromCidr: string, controller: string, ports: readonly number[]): Remedy {
  return {
    title: `Allow ${fromCidr} to reach ${controller} on ${ports.join(' and ')} on the firewall or router between them`,
    where: 'on the firewall/router on the path',
    lines: [
      `iptables -I FORWARD -s ${fromCidr} -d ${controller} -p tcp -m multiport --dports ${ports.join(',')} -j ACCEPT`,
      `nft insert rule inet filter forward ip saddr ${fromCidr} ip daddr ${controller} tcp dport { ${ports.join(', ')} } accept`,
    ],
  };
}

function mtuFixes(path: PathReport): Remedy[] {
  const e = path.evidence;
  const passing = typeof e.largestPassingDownload === 'number' ? sizeLabel(e.largestPassingDownload) : 'only small answers';
  return [
    {
      title: `Let "fragmentation needed" through (largest download that passed: ${passing}; the stall came at byte ${String(e.stallAt ?? '?')})`,
      where: 'on every firewall and router between node and controller',
      lines: [
        'iptables -I FORWARD -p icmp --icmp-type fragmentation-needed -j ACCEPT',
        'iptables -I INPUT -p icmp --icmp-type fragmentation-needed -j ACCEPT',
        'nft insert rule inet filter forward icmp type destination-unreachable icmp code frag-needed accept',
      ],
    },
    {
      title: 'or clamp the TCP MSS to the path MTU on the router with the small link',
      where: 'on the router',
      lines: [
        'iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
        'nft add rule inet filter forward tcp flags syn tcp option maxseg size set rt mtu',
      ],
    },
    { title: 'or lower the MTU on the node to the path MTU', where: 'on the node', lines: ['ip link set dev <iface> mtu 1400   # the path MTU'] },
  ];
}

/** The controller's answers to a node on these ports are lost on the way back. */
function lostAnswers(controller: string, nodeAddress: string, ports: readonly number[], nodeName: string): Remedy {
  const list = ports.join(',');
  return {
    title: `The controller's answers to ${nodeAddress} are lost: allow them back, and check the controller's route to it`,
    where: 'on the firewall/router between them, and on the controller',
    lines: [
      `iptables -I FORWARD -s ${controller} -d ${nodeAddress} -p tcp -m multiport --sports ${list} -j ACCEPT`,
      `nft insert rule inet filter forward ip saddr ${controller} ip daddr ${nodeAddress} tcp sport { ${ports.join(', ')} } accept`,
      `ip route get ${nodeAddress} from ${controller}   # on the controller: must leave toward ${nodeName}`,
    ],
  };
}

function idleFixes(path: PathReport): Remedy {
  const idle = typeof path.evidence.idleMs === 'number' ? Math.round(path.evidence.idleMs / 1000) : undefined;
  return {
    title: `A stateful firewall or NAT forgets idle flows${idle === undefined ? '' : ` within ${idle} s`}: raise its TCP established timeout above the longest flash`,
    where: 'on the stateful firewall/NAT on the path (Linux conntrack shown)',
    lines: ['sysctl -w net.netfilter.nf_conntrack_tcp_timeout_established=7200'],
  };
}

interface Alternate {
  proto: string;
  port: number;
  outcome: string;
}

function alternatesPassed(paths: readonly PathReport[]): { http: number; https: number } | undefined {
  const alternates = paths.flatMap((p) => (p.evidence.alternates as Alternate[] | undefined) ?? []);
  const http = alternates.find((a) => a.proto === 'http' && a.outcome === 'ok')?.port;
  const https = alternates.find((a) => a.proto === 'https' && a.outcome === 'ok')?.port;
  return http !== undefined && https !== undefined ? { http, https } : undefined;
}

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

/** Callbacks that never got through (blocked or rejected), from one source address. */
function callbackFixes(node: NodeReport, source: string, paths: readonly PathReport[], ctx: RemedyContext): Remedy[] {
  const nic = node.nics?.find((n) => n.address === source);
  const working = node.nics?.find((n) => n.reaches.length > 0);
  // Another NIC of the same node gets through: the route from this address is the fault, not a firewall.
  if (nic !== undefined && working !== undefined && working.address !== source) return sourceRouting(source, working.address);
  const remedies: Remedy[] = [];
  const passed = alternatesPassed(paths);
  const dropped = paths.some((p) => p.verdict === 'blocked');
  // Callbacks dropped while 80/443 pass: the ESXi default, or any egress filter that allows web ports only.
  if (dropped && (passed !== undefined || ctx.hints.esxiFirewall)) remedies.push(...esxiRuleFile([ctx.httpPort, ctx.httpsPort]));
  if (passed !== undefined) remedies.push(...portChange(passed.http, passed.https));
  if (!ctx.hints.esxiFirewall) {
    for (const controller of unique(paths.map((p) => p.to))) remedies.push(nodeEgress(controller, unique(paths.filter((p) => p.to === controller).map((p) => p.port))));
  }
  return remedies;
}

/**
 * The pasteable fixes for a node's failing paths, each told once for all the ports it concerns.
 * `explained` paths (a fleet finding covers them) get none here.
 */
export function remediesForNode(node: NodeReport, ctx: RemedyContext, explained: (path: PathReport) => boolean): Remedy[] {
  const failing = node.paths.filter((p) => p.verdict !== 'ok' && p.verdict !== 'not-measured' && !explained(p));
  const callbacks = failing.filter((p) => p.direction === 'callback');
  const remedies: Remedy[] = [];
  // FTP data behind a working control connection has fixes of its own.
  const ftpData = callbacks.filter((p) => p.proto === 'ftp-data' && (p.verdict === 'blocked' || p.verdict === 'rejected'));
  const unreached = callbacks.filter((p) => p.proto !== 'ftp-data' && (p.verdict === 'blocked' || p.verdict === 'rejected'));
  for (const source of unique(unreached.map((p) => p.from))) remedies.push(...callbackFixes(node, source, unreached.filter((p) => p.from === source), ctx));

  for (const p of ftpData) remedies.push(...ftpDataFixes(p, p.from));
  const lost = callbacks.filter((p) => p.verdict === 'return-path-lost');
  for (const key of unique(lost.map((p) => `${p.to}|${halfOpenPeer(p)}`))) {
    const [controller = '', address = ''] = key.split('|');
    remedies.push(lostAnswers(controller, address, unique(lost.filter((p) => `${p.to}|${halfOpenPeer(p)}` === key).map((p) => p.port)), node.name));
  }
  for (const address of unique(failing.filter((p) => p.direction === 'forward' && p.verdict === 'return-path-lost').map((p) => p.to))) {
    remedies.push(...sourceRouting(address, undefined), { title: 'or let the router accept them (loose reverse-path filtering)', where: 'on the router that drops them', lines: ['sysctl -w net.ipv4.conf.all.rp_filter=2'] });
  }
  const mtu = callbacks.find((p) => p.verdict === 'mtu-blackhole' && typeof p.evidence.largestPassingDownload === 'number') ?? callbacks.find((p) => p.verdict === 'mtu-blackhole');
  if (mtu !== undefined) remedies.push(...mtuFixes(mtu));
  const idle = callbacks.find((p) => p.verdict === 'idle-cut');
  if (idle !== undefined) remedies.push(idleFixes(idle));
  // Two sources can lead to the same commands (e.g. the router rule for a NIC's forward and callback paths).
  return remedies.filter((r, i) => remedies.findIndex((o) => JSON.stringify(o) === JSON.stringify(r)) === i);
}

/**
 * FTP control passes and its passive data connection does not: open the range (iptables and nft
 * take it as A:B and A-B), or let a stateful firewall follow the control connection with its FTP
 * helper, or narrow the range the update manager offers to what the firewall allows.
 */
function ftpDataFixes(path: PathReport, nodeAddress: string): Remedy[] {
  const range = typeof path.evidence.dataPorts === 'string' ? path.evidence.dataPorts : String(path.port);
  const [first, last = first] = range.split('-');
  const controller = path.to;
  return [
    {
      title: `FTP control passes but the passive data range ${range} does not: allow it from ${nodeAddress} to ${controller}`,
      where: 'on every firewall/router between node and controller, and on the controller',
      lines: [
        `iptables -I FORWARD -s ${nodeAddress} -d ${controller} -p tcp --dport ${first}:${last} -j ACCEPT`,
        `nft insert rule inet filter forward ip saddr ${nodeAddress} ip daddr ${controller} tcp dport ${first}-${last} accept`,
        `iptables -I INPUT -p tcp --dport ${first}:${last} -j ACCEPT   # on the controller`,
        `firewall-cmd --add-port=${first}-${last}/tcp   # on the controller, if it runs firewalld`,
      ],
    },
    {
      title: 'or let a stateful Linux firewall admit the data connections its FTP helper relates to the control connection',
      where: 'on the firewall/router that drops them',
      lines: [
        'modprobe nf_conntrack_ftp',
        `iptables -t raw -A PREROUTING -p tcp -d ${controller} --dport ${path.evidence.controlPort ?? 21} -j CT --helper ftp`,
        'iptables -I FORWARD -m conntrack --ctstate RELATED -m helper --helper ftp -p tcp -j ACCEPT',
      ],
    },
    {
      title: `or narrow the passive range the update manager offers to ports the firewall passes, and re-test it`,
      where: 'update manager FTP settings, then twoway',
      lines: [`twoway run --ftp --ftp-data-ports ${first}-${last}   # with the narrowed range`],
    },
  ];
}

/** The node address whose SYN the controller held half-open, or the path's source. */
function halfOpenPeer(p: PathReport): string {
  return (p.evidence.controllerHalfOpen as { remote?: string } | undefined)?.remote ?? p.from;
}
