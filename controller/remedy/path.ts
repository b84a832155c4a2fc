/**
 * Fixes on the firewalls and routers between node and controller: what they drop and what they
 * forget (the "fragmentation needed" they swallow: controller/remedy/mtu.ts).
 */
import type { Remedy } from '../../src/report.js';

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

/** A quiet connection was cut: the state table on the path forgot it; `idleMs` is how long it was quiet. */
export function idleFixes(idleMs: number | undefined): Remedy {
  const idle = idleMs === undefined ? undefined : Math.round(idleMs / 1000);
  return {
    title: `A stateful firewall or NAT forgets idle flows${idle === undefined ? '' : ` within ${idle} s`}: raise its TCP established timeout above the longest flash`,
    where: 'on the stateful firewall/NAT on the path (Linux conntrack shown)',
    lines: ['sysctl -w net.netfilter.nf_conntrack_tcp_timeout_established=7200'],
  };
}
