/**
 * Faults that affect the whole lab rather than one node, as plain data (the shape of an expectation
 * is scenarios-model.ts); faults.ts turns them into nftables rules and toggles them.
 */
import { CTL_ADDRESS, CALLBACK_PORTS, subnet } from './plan.js';
import { CALLBACK_PORT_LIST as ports, type Expectation, type NftRules, expectedCallbacks as callbacks } from './scenarios-model.js';
import { SHARED_SUBNET } from './scenarios.js';

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
