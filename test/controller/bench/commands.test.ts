/**
 * The bench's commands: the fan-out runs for real (xargs and sh, with a stand-in ssh on PATH) and
 * names exactly the nodes whose command failed; command lines printed for the report read back
 * through a shell as the same words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASELINE_CONNECT_TIMEOUT_S, baselineUrl, benchCommand, failedNodes, shellLine } from '../../../controller/bench/commands.js';

function fixture(t: { after(fn: () => void): void }): { dir: string; target: { hostsFile: string; sshConfig: string; fleetInventory: string; concurrency: number } } {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-bench-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'hosts.txt'), '10.0.0.1\n10.0.0.2\n10.0.0.3\n');
  // ssh -F CONFIG HOST COMMAND...: logs its arguments, fails for 10.0.0.2.
  writeFileSync(join(dir, 'ssh'), `#!/bin/sh\necho "$*" >> "${dir}/calls"\n[ "$3" != 10.0.0.2 ]\n`);
  chmodSync(join(dir, 'ssh'), 0o755);
  return { dir, target: { hostsFile: join(dir, 'hosts.txt'), sshConfig: '/lab/ssh_config', fleetInventory: '/lab/fleet.yaml', concurrency: 2 } };
}

/** Runs a fan-out command without `ip netns exec twl-ctl` (what follows it is plain xargs). */
function runFanOut(args: readonly string[], dir: string): string {
  const at = args.indexOf('xargs');
  assert.deepEqual(args.slice(0, at), ['netns', 'exec', 'twl-ctl']);
  const r = spawnSync('xargs', args.slice(at + 1), { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const files = { bin: '/x/bin/twoway.js', json: '/out/t.json', jsonl: '/out/t.jsonl' };

test('floor: ssh NODE true on every node, N at once; the failed node is named', (t) => {
  const { dir, target } = fixture(t);
  const cmd = benchCommand('floor', target, files);
  assert.equal(cmd.command, 'ip');
  assert.deepEqual(cmd.args.slice(cmd.args.indexOf('-P'), cmd.args.indexOf('-P') + 2), ['-P', '2']);
  assert.deepEqual(failedNodes(runFanOut(cmd.args, dir)), ['10.0.0.2']);
  const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').sort();
  assert.deepEqual(calls, ['-F /lab/ssh_config 10.0.0.1 true', '-F /lab/ssh_config 10.0.0.2 true', '-F /lab/ssh_config 10.0.0.3 true']);
});

test('baseline: each node curls 1 MiB from the controller side with the agent\'s connect deadline', (t) => {
  const { dir, target } = fixture(t);
  const cmd = benchCommand('baseline', target, files);
  assert.deepEqual(failedNodes(runFanOut(cmd.args, dir)), ['10.0.0.2']);
  const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').sort();
  assert.equal(calls[0], `-F /lab/ssh_config 10.0.0.1 curl -sf -o /dev/null --connect-timeout ${BASELINE_CONNECT_TIMEOUT_S} ${baselineUrl()}`);
  assert.equal(calls.length, 3);
});

test('twoway: the CLI on the fleet inventory with only concurrency and outputs set; the controller is sampled', () => {
  const cmd = benchCommand('twoway', { hostsFile: '/h', sshConfig: '/c', fleetInventory: '/lab/fleet.yaml', concurrency: 16 }, files);
  assert.equal(cmd.command, process.execPath);
  assert.deepEqual(cmd.args, ['/x/bin/twoway.js', 'run', '--inventory', '/lab/fleet.yaml', '--concurrency', '16', '--json', '/out/t.json', '--jsonl', '/out/t.jsonl', '--quiet']);
  assert.deepEqual(cmd.mainProcess, ['node', 'node']);
});

test('printed command lines read back through sh as the same words', () => {
  const words = ['sh', '-c', 'ssh -F "$1" "$2" true || echo "failed $2"', 'it\'s', 'plain/path-1.2', ''];
  const line = shellLine('printf', ['%s\\n', ...words]);
  const r = spawnSync('sh', ['-c', line], { encoding: 'utf8' });
  assert.deepEqual(r.stdout.split('\n').slice(0, -1), words);
});
