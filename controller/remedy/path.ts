/**
 * Fixes on the firewalls and routers between node and controller: what they drop, what they forget,
 * and the "fragmentation needed" messages they swallow.
 */
import type { SizeBoundaryEvidence } from '../../src/evidence.js';
import type { Remedy } from '../../src/report.js';
import { sizeLabel } from '../../src/size-label.js';

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

/** The controller's answers to a node on these ports are lost on the way back. */
export function lostAnswers(controller: string, nodeAddress: string, ports: readonly number[], nodeName: string): Remedy {
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

/** A router drops the node's answers to the controller's probes: they leave by another NIC (asymmetric routing). */
export function reversePathFilter(): Remedy {
  return { title: 'or let the router accept them (loose reverse-path filtering)', where: 'on the router that drops them', lines: ['sysctl -w net.ipv4.conf.all.rp_filter=2'] };
}

/** Small answers pass, full-size packets vanish: the path MTU is smaller and its ICMP never arrives. */
export function mtuFixes(boundary: SizeBoundaryEvidence): Remedy[] {
  const passing = boundary.largestPassingDownload === undefined ? 'only small answers' : sizeLabel(boundary.largestPassingDownload);
  return [
    {
      title: `Let "fragmentation needed" through (largest download that passed: ${passing}; the stall came at byte ${boundary.stallAt})`,
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

/** A quiet connection was cut: the state table on the path forgot it; `idleMs` is how long it was quiet. */
export function idleFixes(idleMs: number | undefined): Remedy {
  const idle = idleMs === undefined ? undefined : Math.round(idleMs / 1000);
  return {
    title: `A stateful firewall or NAT forgets idle flows${idle === undefined ? '' : ` within ${idle} s`}: raise its TCP established timeout above the longest flash`,
    where: 'on the stateful firewall/NAT on the path (Linux conntrack shown)',
    lines: ['sysctl -w net.netfilter.nf_conntrack_tcp_timeout_established=7200'],
  };
}
