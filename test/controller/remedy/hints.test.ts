/** Remedies follow the profile's behaviour hints, so a custom profile inherits them with `extends`. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { remediesForNode } from '../../../controller/remedy/node.js';
import { parseProfiles } from '../../../src/profile-file.js';
import { BUILT_IN_PROFILES } from '../../../src/profiles.js';
import type { ProbeResult } from '../../../src/protocol.js';
import { allHttp, evidence } from '../../helpers/diagnose-input.js';

const TIMEOUT: Partial<ProbeResult> = { outcome: 'timeout', phase: 'connect', ms: 3000 };

/** Both callback ports dropped, and the alternate ports 80/443 too: nothing says "only web ports pass" but the profile. */
function esxNode(profile: string) {
  const http = allHttp(TIMEOUT);
  const https = Object.fromEntries(Object.entries(http).map(([id, r]) => [id.replace('-http-', '-https-'), r]));
  return diagnoseNode(evidence({ ...http, ...https, 'alt-http-0': TIMEOUT, 'alt-https-0': TIMEOUT }, { name: 'esx', profile }));
}

test('remedies: a custom profile that extends vmware gets the ESXi rule file and no Linux egress rule', () => {
  const profiles = parseProfiles(['profiles:', '  esx-8:', '    extends: vmware', '    remove: [5989]', '  app:', '    extends: linux'].join('\n'), 'p.yaml');
  const fixes = (name: string): string =>
    remediesForNode(esxNode(name), { httpPort: 63001, httpsPort: 63002, hints: profiles[name]!.hints }, () => false)
      .map((r) => `${r.where}\n${r.lines.join('\n')}`)
      .join('\n');
  const esx = fixes('esx-8');
  assert.match(esx, /<port>63001<\/port>[\s\S]*<port>63002<\/port>/);
  assert.match(esx, /esxcli network firewall refresh/);
  assert.doesNotMatch(esx, /iptables -I OUTPUT/);
  const app = fixes('app');
  assert.doesNotMatch(app, /<ConfigRoot>/, 'no ESXi rule file for a Linux node whose alternates did not pass');
  assert.match(app, /iptables -I OUTPUT -p tcp -d 10\.9\.0\.1 -m multiport --dports 63001,63002 -j ACCEPT/);
});

test('remedies: the built-in vmware profile gets the rule file; its name is not what decides', () => {
  const ports = { httpPort: 63001, httpsPort: 63002 };
  const withHints = (name: string, esxiFirewall: boolean): boolean =>
    remediesForNode(esxNode(name), { ...ports, hints: { ...BUILT_IN_PROFILES.linux!.hints, esxiFirewall } }, () => false).some((r) => r.lines.includes('<ConfigRoot>'));
  assert.equal(BUILT_IN_PROFILES.vmware!.hints.esxiFirewall, true);
  assert.equal(withHints('vmware', true), true);
  assert.equal(withHints('vmware', false), false, 'a profile called vmware without the hint gets no rule file');
  assert.equal(withHints('linux', true), true);
});
