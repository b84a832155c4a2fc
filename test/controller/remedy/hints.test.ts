/** Remedies follow the profile's behaviour hints, so a custom profile inherits them with `extends`. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { remediesForNode } from '../../../controller/remedy/remedies.js';
import { parseProfiles } from '../../../src/profile-file.js';
import type { NodeReport, PathReport } from '../../../src/report.js';

const CTL = '10.9.0.1';
const blocked = (port: number): PathReport => ({ direction: 'callback', from: '10.9.1.2', to: CTL, port, proto: port === 63001 ? 'http' : 'https', verdict: 'blocked', summary: '', evidence: {} });
const esxNode = (profile: string): NodeReport => ({ name: 'esx', addresses: ['10.9.1.2'], profile, verdict: 'blocked', callbackAddresses: [CTL], paths: [blocked(63001), blocked(63002)], ms: 1 });

test('remedies: a custom profile that extends vmware gets the ESXi rule file and no Linux egress rule', () => {
  const profiles = parseProfiles(['profiles:', '  esx-8:', '    extends: vmware', '    remove: [5989]', '  app:', '    extends: linux'].join('\n'), 'p.yaml');
  const fixes = (name: string): string => remediesForNode(esxNode(name), { httpPort: 63001, httpsPort: 63002, hints: profiles[name]!.hints }, () => false)
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
