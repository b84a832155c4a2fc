/**
 * The lab's BMC scenarios (issue 15): each node runs the Redfish stand-in on 443 and no sshd; twoway
 * tests its callbacks by asking it to mount virtual media from the listener. The stand-in fetches
 * from its own namespace, so the router's rules apply to it as to any node.
 */
import { CALLBACK_PORTS, nodeAddress } from './plan.js';
import { CALLBACK_PORT_LIST as ports, type LabScenario, expectedCallbacks as callbacks } from './scenarios-model.js';

const BMC_SUBNET = 40;
/** The image the busy BMC already has mounted: someone else's, never to be touched. */
export const BUSY_IMAGE = 'http://198.51.100.20/os-installer.iso';
const REDFISH_OK = { direction: 'forward' as const, port: 443, verdict: 'ok' as const };

const bmc = (node: string, offset: number, rest: Omit<LabScenario, 'node' | 'links' | 'host' | 'sshd'>): LabScenario => ({
  node,
  links: [{ n: BMC_SUBNET + offset, nodeIface: 'eth0' }],
  host: 'node',
  sshd: 'none',
  ...rest,
});

export const BMC_SCENARIOS: readonly LabScenario[] = [
  bmc('bmc-ok', 0, {
    description: 'A BMC that reaches the controller: asked over Redfish to mount an image from the listener, it fetches it on both callback ports.',
    mechanism: 'none (the Redfish stand-in on 443, trusting any certificate)',
    bmc: { trust: 'all' },
    expect: { node: 'ok', paths: [...callbacks('ok'), REDFISH_OK] },
  }),
  bmc('bmc-blocked', 1, {
    description: "A BMC whose outbound callback ports are dropped on the way: its image fetch times out, and it says it could not connect.",
    mechanism: `nft forward filter on the router: ip saddr ${nodeAddress(BMC_SUBNET + 1)} tcp dport { ${ports} } drop`,
    bmc: { trust: 'all' },
    routerNft: { forward: [`ip saddr ${nodeAddress(BMC_SUBNET + 1)} tcp dport { ${ports} } drop`] },
    expect: { node: 'blocked', paths: [...callbacks('blocked'), REDFISH_OK] },
  }),
  bmc('bmc-tls', 2, {
    description: "A BMC that refuses the run's self-signed certificate (it trusts one CA only): http passes, https fails its TLS handshake.",
    mechanism: 'the stand-in checks image servers against a CA that did not sign the run certificate',
    bmc: { trust: 'other-ca' },
    expect: {
      node: 'tls-failed',
      paths: [{ direction: 'callback', port: CALLBACK_PORTS[0], verdict: 'ok' }, { direction: 'callback', port: CALLBACK_PORTS[1], verdict: 'tls-failed' }, REDFISH_OK],
    },
  }),
  bmc('bmc-busy', 3, {
    description: "A BMC whose only virtual-media slot holds someone's image: twoway must leave it alone, so its callbacks are not measured.",
    mechanism: `the stand-in's one slot already has ${BUSY_IMAGE} inserted`,
    bmc: { trust: 'all', busySlot: true },
    expect: { node: 'not-measured', paths: [...callbacks('not-measured'), REDFISH_OK] },
  }),
];
