/**
 * Fixes that can be pasted: pure functions from a diagnosed path (and the run's ports) to the lines
 * an operator runs on the node, the controller, a router or an ESXi host. The kind's general advice
 * lives in VERDICTS; these are the specific commands for what this run saw.
 */
import type { NodeReport, PathReport, Remedy } from '../src/report.js';
import { sizeLabel } from './classify.js';

export interface RemedyContext {
  httpPort: number;
  httpsPort: number;
}

/** The update manager's rule file for ESXi's firewall (DESIGN.md section 1), one rule per callback port. */
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
function nodeEgress(controller: string, port: number): Remedy {
  return {
    title: 'If the node is Linux and its own firewall drops the callback (pick the tool it uses)',
    where: 'on the node',
    lines: [
      `iptables -I OUTPUT -p tcp -d ${controller} --dport ${port} -j ACCEPT`,
      `nft insert rule inet filter output ip daddr ${controller} tcp dport ${port} accept   # chain: the one that drops (nft -a list ruleset)`,
      `firewall-cmd --direct --add-rule ipv4 filter OUTPUT 0 -p tcp -d ${controller} --dport ${port} -j ACCEPT`,
    ],
  };
}

/** Opens listener ports on the controller's own firewall. */
export function controllerIngress(ports: readonly number[]): Remedy {
  const list = ports.join(',');
  return {
    title: `Open ${ports.join(' and ')} on the controller's own firewall (pick the tool it uses), and check the listener binds the address nodes call`,
    where: 'on the controller',
    lines: [
      `iptables -I INPUT -p tcp -m multiport --dports ${list} -j ACCEPT`,
      `nft insert rule inet filter input tcp dport { ${ports.join(', ')} } accept   # chain: the one that drops (nft -a list ruleset)`,
      ...ports.map((p) => `firewall-cmd --add-port=${p}/tcp`),
      `ss -ltn '( sport = :${ports[0]} )'`,
    ],
  };
}

/** A firewall or router between a group of nodes and the controller. */
export function pathFirewall(fromCidr: string, controller: string, port: number): Remedy {
  return {
    title: `Allow ${fromCidr} to reach ${controller}:${port} on the firewall or router between them`,
    where: 'on the firewall/router on the path',
    lines: [
      `iptables -I FORWARD -s ${fromCidr} -d ${controller} -p tcp --dport ${port} -j ACCEPT`,
      `nft insert rule inet filter forward ip saddr ${fromCidr} ip daddr ${controller} tcp dport ${port} accept`,
    ],
  };
}

function mtuFixes(path: PathReport): Remedy[] {
  const e = path.evidence;
  const passing = typeof e.largestPassingDownload === 'number' ? sizeLabel(e.largestPassingDownload) : 'only small answers';
  return [
    {
      title: `Let "fragmentation needed" through (largest transfer that passed: ${passing}; the stall came at byte ${String(e.stallAt ?? '?')})`,
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

function returnPathFixes(path: PathReport, node: NodeReport): Remedy[] {
  if (path.direction === 'forward') {
    return [
      {
        title: `Answers from ${path.to} leave by another interface: route them back out of the one they came in on`,
        where: 'on the node',
        lines: [`ip rule add from ${path.to} lookup 100`, `ip route add default via <gateway on ${path.to}'s subnet> table 100`],
      },
      { title: 'or let the router accept them (loose reverse-path filtering)', where: 'on the router that drops them', lines: ['sysctl -w net.ipv4.conf.all.rp_filter=2'] },
    ];
  }
  const syn = path.evidence.controllerHalfOpen as { remote?: string } | undefined;
  const nodeAddress = syn?.remote ?? path.from;
  return [
    {
      title: `The controller's answers to ${nodeAddress} are lost: allow them back, and check the controller's route to it`,
      where: 'on the firewall/router between them, and on the controller',
      lines: [
        `iptables -I FORWARD -s ${path.to} -d ${nodeAddress} -p tcp --sport ${path.port} -j ACCEPT`,
        `nft insert rule inet filter forward ip saddr ${path.to} ip daddr ${nodeAddress} tcp sport ${path.port} accept`,
        `ip route get ${nodeAddress} from ${path.to}   # on the controller: must leave toward ${node.name}`,
      ],
    },
  ];
}

function idleFixes(path: PathReport): Remedy[] {
  const idle = typeof path.evidence.idleMs === 'number' ? Math.round(path.evidence.idleMs / 1000) : undefined;
  return [
    {
      title: `A stateful firewall or NAT forgets idle flows${idle === undefined ? '' : ` in under ${idle} s`}: raise its TCP established timeout above the longest flash`,
      where: 'on the stateful firewall/NAT on the path (Linux conntrack shown)',
      lines: ['sysctl -w net.netfilter.nf_conntrack_tcp_timeout_established=7200'],
    },
  ];
}

interface Alternate {
  proto: string;
  port: number;
  outcome: string;
}

function alternatesPassed(path: PathReport): { http: number; https: number } | undefined {
  const alternates = path.evidence.alternates as Alternate[] | undefined;
  if (alternates === undefined) return undefined;
  const http = alternates.find((a) => a.proto === 'http' && a.outcome === 'ok')?.port;
  const https = alternates.find((a) => a.proto === 'https' && a.outcome === 'ok')?.port;
  return http !== undefined && https !== undefined ? { http, https } : undefined;
}

/** The pasteable fixes for one failing path of one node; empty when there is nothing specific to add. */
export function remediesForPath(path: PathReport, node: NodeReport, ctx: RemedyContext): Remedy[] {
  switch (path.verdict) {
    case 'blocked':
    case 'rejected': {
      if (path.direction === 'forward') return [];
      const passed = alternatesPassed(path);
      const remedies: Remedy[] = [];
      // Callbacks blocked while 80/443 pass: the ESXi default, or any egress filter that allows web ports only.
      if (passed !== undefined || node.profile === 'vmware') remedies.push(...esxiRuleFile([ctx.httpPort, ctx.httpsPort]));
      if (passed !== undefined) remedies.push(...portChange(passed.http, passed.https));
      if (node.profile !== 'vmware') remedies.push(nodeEgress(path.to, path.port));
      return remedies;
    }
    case 'return-path-lost':
      return returnPathFixes(path, node);
    case 'mtu-blackhole':
      return mtuFixes(path);
    case 'idle-cut':
      return idleFixes(path);
    default:
      return [];
  }
}
