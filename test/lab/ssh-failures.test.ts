/**
 * The SSH failures that are about credentials, not the network, against the lab's real sshd on the
 * healthy node: a key the node does not accept, a host key that changed, a host key never seen. Each
 * run uses its own ssh_config (the lab's, with another identity or known_hosts file), so the lab's
 * own files are never touched. Needs root; CI runs it as root, so it is never skipped.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LAB_SCENARIOS, type LabPaths, labDown, labUp } from '../../controller/lab/index.js';
import { scenarioAddresses } from '../../controller/lab/scenarios-model.js';
import { generateKey } from '../../controller/lab/sshd.js';
import type { NodeKind } from '../../src/verdicts.js';
import { labInventoryOf } from './lab-inventory.js';
import { type LabRun, runTwoway } from './lab-run.js';
import { escapeRegExp } from '../helpers/regexp.js';

const NODE = 'healthy';
const ADDRESS = scenarioAddresses(LAB_SCENARIOS.find((s) => s.node === NODE)!)[0]!;
let paths: LabPaths;
let work = '';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-ssh-'));
  paths = (await labUp()).paths;
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

/** The lab's ssh_config with these settings' values replaced; each must be there to replace. */
function labSshConfigWith(settings: Readonly<Record<string, string>>): string {
  let text = readFileSync(paths.sshConfig, 'utf8');
  assert.match(text, /^\s*StrictHostKeyChecking yes$/m, 'the lab checks host keys strictly');
  for (const [key, value] of Object.entries(settings)) {
    const line = new RegExp(`^(\\s*${key}) .*$`, 'm');
    assert.match(text, line, `the lab's ssh_config sets ${key}`);
    text = text.replace(line, `$1 ${value}`);
  }
  return text;
}

/** A directory of the case's own: its ssh_config and an inventory of the healthy node that uses it. */
function caseDir(name: string, settings: Readonly<Record<string, string>>): { dir: string; inventory: string } {
  const dir = join(work, name);
  mkdirSync(dir);
  const config = join(dir, 'ssh_config');
  writeFileSync(config, labSshConfigWith(settings));
  return { dir, inventory: labInventoryOf(paths.inventory, dir, [NODE], config) };
}

/** The `ADDRESS TYPE KEY` line of the lab's known_hosts for the node. */
function labHostKey(): string {
  const line = readFileSync(paths.knownHosts, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${ADDRESS} `));
  assert.ok(line, `${ADDRESS} in ${paths.knownHosts}`);
  return line;
}

/** SSH failed with this kind before any agent ran: exit 1, no agent event, no callback reached the listener. */
function assertSshFailed(run: LabRun, kind: NodeKind): string {
  const n = run.report.nodes.find((x) => x.name === NODE);
  assert.ok(n);
  assert.equal(run.code, 1);
  assert.deepEqual([n.verdict, n.nodeVerdict, n.nodeEvidence?.exitCode], [kind, kind, 255]);
  assert.deepEqual(run.agentEvents(NODE), [], 'no agent ran');
  assert.equal(n.agent, undefined);
  assert.equal(run.report.run.listenerPeers[ADDRESS], undefined, 'nothing connected to the listener from the node');
  return String(n.nodeEvidence?.stderr);
}

test('lab ssh: a key the node does not accept is ssh-auth-failed, and no agent runs', async () => {
  const key = join(work, 'wrong_id_ed25519');
  await generateKey(key, 'twoway-lab-test-wrong-key');
  const { dir, inventory } = caseDir('wrong-key', { IdentityFile: key });
  const stderr = assertSshFailed(runTwoway(dir, 'run', inventory), 'ssh-auth-failed');
  assert.equal(stderr, `root@${ADDRESS}: Permission denied (publickey).`);
});

test('lab ssh: a host key other than the one known for the address is ssh-hostkey-mismatch, and no agent runs', async () => {
  const known = join(work, 'mismatch_known_hosts');
  const [type, otherKey] = (await generateKey(join(work, 'other_host_key'), 'twoway-lab-test-other-host')).split(' ');
  assert.notEqual(`${ADDRESS} ${type} ${otherKey}`, labHostKey(), 'a key other than the node\'s');
  writeFileSync(known, `${ADDRESS} ${type} ${otherKey}\n`);
  const { dir, inventory } = caseDir('hostkey-mismatch', { IdentityFile: paths.clientKey, UserKnownHostsFile: known });
  const stderr = assertSshFailed(runTwoway(dir, 'run', inventory), 'ssh-hostkey-mismatch');
  assert.match(stderr, new RegExp(`^Offending ED25519 key in ${escapeRegExp(known)}:1\\r?$`, 'm'));
  assert.match(stderr, new RegExp(`^Host key for ${escapeRegExp(ADDRESS)} has changed and you have requested strict checking\\.\\r?$`, 'm'));
  assert.equal(readFileSync(known, 'utf8'), `${ADDRESS} ${type} ${otherKey}\n`, 'the known key is left as it was');
});

test('lab ssh: an unknown host key is ssh-hostkey-unknown, and with --accept-new-hostkeys the run succeeds and learns it', () => {
  const known = join(work, 'empty_known_hosts');
  writeFileSync(known, '');
  const { dir, inventory } = caseDir('hostkey-unknown', { IdentityFile: paths.clientKey, UserKnownHostsFile: known });

  const stderr = assertSshFailed(runTwoway(dir, 'strict', inventory), 'ssh-hostkey-unknown');
  assert.match(stderr, new RegExp(`^No ED25519 host key is known for ${escapeRegExp(ADDRESS)} and you have requested strict checking\\.\\r?$`, 'm'));
  assert.equal(readFileSync(known, 'utf8'), '', 'nothing learnt without --accept-new-hostkeys');

  const accepted = runTwoway(dir, 'accept-new', inventory, ['--accept-new-hostkeys']);
  assert.equal(accepted.code, 0);
  assert.equal(accepted.report.nodes[0]?.verdict, 'ok');
  assert.ok(accepted.agentEvents(NODE).some((e) => e.t === 'agent'), 'the agent ran');
  assert.deepEqual(readFileSync(known, 'utf8').trim().split('\n'), [labHostKey()], 'the node\'s own key, now known');
});
