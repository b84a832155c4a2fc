/**
 * Issue 5 on the lab: each profile's ports in the matrix with their directions (an agentless iLO
 * stand-in serving HTTPS, a Windows-profile node with its SMB and NetBIOS ports, ESXi, a dual-homed
 * Integrity node), and the controller's own firewall: preflight names the blocking rule, and
 * --open-firewall turns a controller-ingress-blocked run green and leaves the ruleset as it found it,
 * also after Ctrl-C and after a run that died.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, setFault } from '../../controller/lab/index.js';
import { CTL_NETNS, nodeNetns } from '../../controller/lab/plan.js';
import { parseProfiles } from '../../src/profile-file.js';
import type { NodeReport, Report } from '../../src/report.js';
import { evidenceOf } from '../helpers/evidence.js';
import { labInventoryOf, type LabNodePick } from './lab-inventory.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
let inventory = '';
let work = '';
const started: ChildProcess[] = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-profiles-'));
  inventory = (await labUp()).paths.inventory;
});
after(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await setFault('controller-ingress', false);
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

function inventoryWith(nodes: readonly LabNodePick[]): string {
  return labInventoryOf(inventory, work, nodes);
}

function twoway(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.error, undefined, `twoway did not finish: ${r.error?.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runJson(name: string, args: string[]): { code: number | null; report: Report; stderr: string } {
  const json = join(work, `${name}.json`);
  const r = twoway(['run', '--json', json, ...args]);
  return { code: r.code, report: JSON.parse(readFileSync(json, 'utf8')) as Report, stderr: r.stderr };
}

const ctlRuleset = (): string => spawnSync('ip', ['netns', 'exec', CTL_NETNS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;

/**
 * A web interface in a lab node's namespace, as an iLO serves one: HTTPS and HTTP, on 8443/8080
 * (ports no lab node uses otherwise), and a custom profile says so.
 */
async function startWebInterface(netns: string): Promise<void> {
  const { createRunCertificate } = await import('../../controller/wire/cert.js');
  const cert = await createRunCertificate([], 'ilo-standin.lab');
  const dir = mkdtempSync(join(work, 'web-'));
  writeFileSync(join(dir, 'cert.pem'), cert.certPem);
  writeFileSync(join(dir, 'key.pem'), cert.keyPem);
  const script = `
    const fs = require('fs'), https = require('https'), http = require('http');
    https.createServer({ cert: fs.readFileSync('${dir}/cert.pem'), key: fs.readFileSync('${dir}/key.pem') }, (q, s) => s.writeHead(200, { server: 'iLO-standin' }).end('login')).listen(8443);
    http.createServer((q, s) => s.writeHead(301, { location: 'https://ilo/' }).end()).listen(8080, () => console.log('ready'));
    setTimeout(() => process.exit(0), 170000);`;
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('web interface did not start')), 15_000);
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      ok();
    });
  });
}

function forwardPorts(n: NodeReport): string[] {
  return n.paths.filter((p) => p.direction === 'forward').map((p) => `${p.to} ${p.port}/${p.proto}`);
}

test('lab profiles: every profile\'s ports appear in the matrix with their directions', async () => {
  await startWebInterface(nodeNetns('healthy'));
  const profileText = 'profiles:\n  ilo-lab:\n    extends: ilo\n    remove: [443, 80]\n    add:\n      - { port: 8443, probe: https, purpose: "iLO web interface (lab port)" }\n      - { port: 8080, probe: http, purpose: "iLO redirect (lab port)" }\n';
  const profileFile = join(work, 'profiles.yaml');
  writeFileSync(profileFile, profileText);
  const profiles = parseProfiles(profileText, profileFile);
  const file = inventoryWith([
    { from: 'healthy', profile: 'linux' },
    { from: 'healthy', name: 'win', profile: 'windows' },
    { from: 'healthy', name: 'ilo', profile: 'ilo-lab' },
    // ilo-down: the built-in ilo profile on a node whose web interface is down (nothing listens on 443/80).
    { from: 'healthy', name: 'ilo-down', profile: 'ilo' },
    { from: 'esxi-egress', profile: 'vmware' },
    { from: 'dual', profile: 'integrity' },
  ]);
  const { report } = runJson('profiles', ['--inventory', file, '--profiles', profileFile, '--quiet']);
  const byName = (name: string): NodeReport => report.nodes.find((n) => n.name === name)!;

  for (const n of report.nodes) {
    const profile = profiles[n.profile]!;
    const expected = n.addresses.flatMap((a) => profile.forward.map((f) => `${a} ${f.port}/${f.probe === 'netbios-ns' ? 'udp' : f.probe}`));
    assert.deepEqual(forwardPorts(n).sort(), expected.sort(), `${n.name}: forward ports of profile ${n.profile}`);
    const callbackPorts = [...new Set(n.paths.filter((p) => p.direction === 'callback').map((p) => p.port))].sort();
    assert.deepEqual(callbackPorts, profile.agent ? [63001, 63002] : [], `${n.name}: callbacks of profile ${n.profile}`);
  }

  const ilo = byName('ilo');
  assert.equal(ilo.agentless, true);
  assert.equal(ilo.agent, undefined, 'nothing deployed on an agentless device');
  const https = ilo.paths.find((p) => p.port === 8443)!;
  assert.equal(https.verdict, 'ok', https.summary);
  const tls = evidenceOf(https, 'forward').tls;
  assert.equal(tls?.certificate?.subject, 'ilo-standin.lab');
  assert.equal(tls?.certificate?.selfSigned, true);
  assert.match(https.summary, /HTTP 200 \(iLO-standin\); TLSv1\.3, certificate ilo-standin\.lab, self-signed/);
  assert.equal(evidenceOf(ilo.paths.find((p) => p.port === 8080), 'forward').http?.status, 301);

  // An agentless iLO whose web service is down: the service verdict, saying the node's own view was not measured.
  const down = byName('ilo-down');
  assert.equal(down.verdict, 'service-down');
  for (const port of [443, 80]) {
    const web = down.paths.find((p) => p.direction === 'forward' && p.port === port)!;
    assert.equal(web.verdict, 'service-down', web.summary);
    assert.match(web.summary, /node's own view was not measured \(the node runs no agent\)/);
  }
  assert.equal(down.paths.find((p) => p.port === 22)!.verdict, 'ok');

  const win = byName('win');
  const netbios = win.paths.find((p) => p.port === 137)!;
  assert.equal(netbios.proto, 'udp');
  assert.equal(netbios.verdict, 'rejected', `no name service on the stand-in: ICMP port unreachable (${netbios.summary})`);
  // SMB is a service the update manager needs: nothing listens on the stand-in (its agent says so).
  assert.equal(win.paths.find((p) => p.port === 445)!.verdict, 'service-down');

  const integrity = byName('dual');
  assert.equal(integrity.addresses.length, 2);
  assert.deepEqual(new Set(integrity.paths.filter((p) => p.direction === 'callback').map((p) => p.from)), new Set(integrity.addresses), 'callbacks from both interfaces');
});

test('lab firewall: preflight names the controller rule that drops callbacks, and the rule to add', async () => {
  await setFault('controller-ingress', true);
  try {
    const r = twoway(['preflight', '--inventory', inventoryWith([{ from: 'healthy' }])]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /WARN firewall port 63001: this host's firewall drops callbacks from every node, by "tcp dport \{ 63001, 63002 \} drop/);
    assert.match(r.stdout, /fix: nft insert rule inet \S+ input tcp dport \{ 63001-63002 \} accept/);
    assert.match(r.stdout, /ok {3}port {5}10\.231\.0\.1:63001 is free/);
  } finally {
    await setFault('controller-ingress', false);
  }
});

test('lab firewall: --open-firewall turns a controller-ingress-blocked run green and leaves no rule behind', async () => {
  await setFault('controller-ingress', true);
  try {
    const file = inventoryWith([{ from: 'healthy' }]);
    const blocked = runJson('blocked', ['--inventory', file, '--quiet']);
    assert.equal(blocked.code, 1);
    assert.equal(blocked.report.nodes[0]!.verdict, 'blocked');

    const before = ctlRuleset();
    assert.doesNotMatch(before, /twoway_open/);
    const opened = runJson('opened', ['--inventory', file, '--open-firewall']);
    assert.equal(opened.code, 0, opened.stderr);
    // Forward 443 of the SSH-only node is closed: information, the path works.
    assert.ok(opened.report.nodes[0]!.paths.every((p) => p.verdict === 'ok' || (p.direction === 'forward' && p.port === 443 && p.verdict === 'closed')));
    assert.equal(opened.report.nodes[0]!.verdict, 'ok');
    const listening = [...new Set(opened.report.run.controller.listeners.map((l) => l.port))].sort((a, b) => a - b);
    assert.match(opened.stderr, new RegExp(`--open-firewall: tcp ${listening.join(', ')} accepted via inet \\S+ input`), 'exactly the listener ports');
    assert.match(opened.stderr, /--open-firewall: removed inet \S+ twoway_open_\d+/);
    assert.equal(ctlRuleset(), before, 'the ruleset after the run is the ruleset before it');
  } finally {
    await setFault('controller-ingress', false);
  }
});

/** A long `--open-firewall` run in its own process group, once its opening is in the ruleset (waits at most 20 s). */
async function openFirewallRunUnderway(file: string): Promise<{ pid: number; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'run', '--inventory', file, '--open-firewall', '--idle-hold', '30', '--quiet'], { detached: true, stdio: 'ignore' });
  started.push(child);
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  let opened = false;
  for (let i = 0; i < 100 && !opened; i++) {
    await new Promise((r) => setTimeout(r, 200));
    opened = /twoway_open_\d+/.test(ctlRuleset());
  }
  assert.ok(opened, 'the opening appeared while the run was going');
  return { pid: child.pid!, exited };
}

test('lab firewall: Ctrl-C during an --open-firewall run removes the opening; a dead run\'s opening goes at the next start', async () => {
  await setFault('controller-ingress', true);
  try {
    const file = inventoryWith([{ from: 'healthy' }]);
    const before = ctlRuleset();
    const interrupted = await openFirewallRunUnderway(file);
    process.kill(-interrupted.pid, 'SIGINT'); // the whole process group, as Ctrl-C in a terminal
    assert.equal(await interrupted.exited, 130);
    assert.equal(ctlRuleset(), before, 'no rule left after Ctrl-C');

    // A run killed outright cannot clean up: its chain (named by its pid) is removed by the next run.
    const killed = await openFirewallRunUnderway(file);
    process.kill(-killed.pid, 'SIGKILL');
    await killed.exited;
    assert.match(ctlRuleset(), /twoway_open_\d+/, 'SIGKILL leaves the opening behind');
    const next = twoway(['run', '--inventory', file]);
    assert.match(next.stderr, /removed firewall openings left by runs that died: inet \S+ twoway_open_\d+/);
    assert.equal(ctlRuleset(), before);
  } finally {
    await setFault('controller-ingress', false);
  }
});
