/** Fixes on the controller itself: its own firewall in front of the listener ports. */
import type { Remedy } from '../../src/report.js';
import { iptablesPorts, nftPorts, portRuns } from './port-sets.js';

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
