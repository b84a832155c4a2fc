/** Profiles: the built-in port tables, custom profile files (and their errors), and `twoway profiles`. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/errors.js';
import { parseProfiles } from '../../src/profile-file.js';
import { BUILT_IN_PROFILES, UPDATE_MANAGER_PORTS, callbacksMade } from '../../src/profiles.js';
import { portRows } from '../../src/render/profiles.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
const PORTS = { httpPort: 63001, httpsPort: 63002, ftpPort: 21, ftpData: UPDATE_MANAGER_PORTS.ftpData };
const forwardPorts = (name: string): string[] => BUILT_IN_PROFILES[name]!.forward.map((f) => `${f.port}/${f.probe}`);

test('profiles: the seed table per node type, with directions', () => {
  assert.deepEqual(forwardPorts('linux'), ['22/tcp', '443/tcp']);
  assert.deepEqual(forwardPorts('windows'), ['22/tcp', '443/tcp', '445/tcp', '139/tcp', '137/netbios-ns']);
  assert.deepEqual(forwardPorts('vmware'), ['22/tcp', '443/tcp', '5989/tcp']);
  for (const name of ['ilo', 'oa', 'vc', 'switch']) {
    assert.equal(BUILT_IN_PROFILES[name]!.agent, false, name);
    assert.deepEqual(callbacksMade(BUILT_IN_PROFILES[name]!), [], `${name} is agentless: no callbacks tested`);
    assert.ok(BUILT_IN_PROFILES[name]!.forward.some((f) => f.probe === 'https'), `${name} web interface probed over HTTPS`);
  }
  assert.equal(BUILT_IN_PROFILES.integrity!.minAddresses, 2);
  assert.deepEqual(BUILT_IN_PROFILES.vmware!.hints, { esxiFirewall: true });
  assert.deepEqual(BUILT_IN_PROFILES.windows!.hints, { esxiFirewall: false, defaultRuntime: 'powershell' });
  const rows = portRows(BUILT_IN_PROFILES.switch!, PORTS).filter((r) => r.direction === 'callback');
  assert.deepEqual(rows.map((r) => `${r.port} ${r.proto}`), ['21 tcp/ftp', '63006-63010 tcp/ftp-data']);
  assert.ok(rows.every((r) => r.purpose.includes('not tested: no agent')));
});

test('profile file: extend a built-in, change a built-in in place, and keep the rest', () => {
  const profiles = parseProfiles(
    ['profiles:', '  lab-switch:', '    extends: switch', '    agent: true', '  linux:', '    remove: [443]', '    add:', '      - { port: 8443, probe: https, purpose: app }'].join('\n'),
    'p.yaml',
  );
  assert.deepEqual(callbacksMade(profiles['lab-switch']!), ['ftp']);
  assert.equal(profiles['lab-switch']!.origin, 'p.yaml:2');
  assert.deepEqual(profiles.linux!.forward.map((f) => `${f.port}/${f.probe}`), ['22/tcp', '8443/https']);
  assert.deepEqual(profiles.windows, BUILT_IN_PROFILES.windows);
});

test('profiles: each forward port says whether the update manager needs a service or only the path', () => {
  const needs = (name: string): string[] => BUILT_IN_PROFILES[name]!.forward.map((f) => `${f.port}:${f.needs}`);
  assert.deepEqual(needs('linux'), ['22:service', '443:path']);
  assert.deepEqual(needs('windows'), ['22:service', '443:path', '445:service', '139:path', '137:path']);
  assert.deepEqual(needs('vmware'), ['22:service', '443:path', '5989:service']);
  assert.deepEqual(needs('ilo'), ['443:service', '80:service', '22:service']);
  const profiles = parseProfiles(
    ['profiles:', '  custom:', '    extends: linux', '    add:', '      - { port: 8443, probe: https }', '      - { port: 9000 }', '      - { port: 9001, probe: tcp, needs: service }', '      - { port: 9002, probe: http, needs: path }'].join('\n'),
    'p.yaml',
  );
  assert.deepEqual(profiles.custom!.forward.slice(2).map((f) => `${f.port}:${f.needs}`), ['8443:service', '9000:path', '9001:service', '9002:path']);
  assert.throws(() => parseProfiles('profiles:\n  x:\n    extends: linux\n    add: [{ port: 9, needs: maybe }]\n', 'p.yaml'), /field "profiles\.x\.add\[0\]\.needs": expected one of service, path/);
});

test('profile file: behaviour hints are inherited by extends and can be set', () => {
  const profiles = parseProfiles(
    ['profiles:', '  esx-custom:', '    extends: vmware', '    remove: [5989]', '  win-custom:', '    extends: windows', '  lab-esx:', '    extends: linux', '    esxi_firewall: true', '    default_runtime: sh-curl', '  plain:', '    extends: vmware', '    esxi_firewall: false'].join('\n'),
    'p.yaml',
  );
  assert.deepEqual(profiles['esx-custom']!.hints, { esxiFirewall: true });
  assert.deepEqual(profiles['win-custom']!.hints, { esxiFirewall: false, defaultRuntime: 'powershell' });
  assert.deepEqual(profiles['lab-esx']!.hints, { esxiFirewall: true, defaultRuntime: 'sh-curl' });
  assert.deepEqual(profiles.plain!.hints, { esxiFirewall: false });
  assert.throws(() => parseProfiles('profiles:\n  x:\n    extends: linux\n    default_runtime: perl\n', 'p.yaml'), /line 4, field "profiles\.x\.default_runtime": expected one of node, python, sh-curl, sh-wget, sh-tcp, powershell, found "perl"/);
});

test('profile file: bad input names file, line and field, and says what was expected', () => {
  const cases: [string, RegExp][] = [
    ['profiles:\n  web:\n    add: [{ port: 8443 }]\n', /p\.yaml, line 2, field "profiles\.web\.extends": "web" is not a built-in profile, so it needs "extends: <profile>"/],
    ['profiles:\n  x:\n    extends: ilo\n    remove: [9999]\n', /line 4, field "profiles\.x\.remove\[0\]": port 9999 is not among ilo's forward ports \(443, 80, 22\)/],
    ['profiles:\n  x:\n    extends: linux\n    add:\n      - { port: 70000 }\n', /line 5, field "profiles\.x\.add\[0\]\.port": expected a port \(a whole number 1\.\.65535\), found 70000/],
    ['profiles:\n  x:\n    extends: linux\n    add:\n      - { port: 80, probe: gopher }\n', /field "profiles\.x\.add\[0\]\.probe": expected one of tcp, http, https, netbios-ns, found "gopher"/],
    ['profiles:\n  x:\n    extends: linux\n    agent: yes please\n', /line 4, field "profiles\.x\.agent": expected true or false/],
    ['profiles:\n  x:\n    extends: linux\n    colour: red\n', /line 4, field "profiles\.x\.colour": unknown field "colour"/],
    ['profiles:\n  x:\n    extends: linux\n    add: [{ port: 22 }]\n', /port 22 is already in the profile/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseProfiles(text, 'p.yaml'), (err: unknown) => err instanceof InputError && message.test(err.message), text);
  }
});

test('cli: twoway profiles lists every profile, custom ones included, with callback ports from the flags', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-profiles-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.yaml');
  writeFileSync(file, 'profiles:\n  ilo-8443:\n    extends: ilo\n    add: [{ port: 8443, probe: https, purpose: "iLO web on 8443" }]\n');
  const r = spawnSync(process.execPath, [BIN, 'profiles', '--profiles', file, '--port', '80', '--ssl-port', '443', '--json'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const listed = JSON.parse(r.stdout) as { name: string; ports: { direction: string; port: string }[] }[];
  assert.deepEqual(listed.map((p) => p.name), [...Object.keys(BUILT_IN_PROFILES), 'ilo-8443']);
  const linux = listed.find((p) => p.name === 'linux')!;
  assert.deepEqual(linux.ports.map((p) => `${p.direction} ${p.port}`), ['forward 22', 'forward 443', 'callback 80', 'callback 443']);
  assert.ok(listed.find((p) => p.name === 'ilo-8443')!.ports.some((p) => p.port === '8443'));
  const text = spawnSync(process.execPath, [BIN, 'profiles'], { encoding: 'utf8', timeout: 30_000 });
  assert.match(text.stdout, /windows: .*\n(.*\n)*.*controller -> node {2}137 +udp\/netbios-ns .*\[needs the path only: closed is fine\]/);
  assert.match(text.stdout, /ilo: .*\n(.*\n)*.*controller -> node {2}443 +tcp\/https +web interface \(HTTPS\) \[needs a service: closed is a fault\]/);
  assert.deepEqual((linux.ports as { needs?: string }[]).map((p) => p.needs), ['service', 'path', undefined, undefined]);
});
