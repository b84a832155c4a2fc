/**
 * ssh's arguments (controller/ssh/session.ts, controller/ssh/options.ts): twoway's defaults, the node's own
 * key, port and user, and the operator's -o options, which must win. What ssh makes of them is asked
 * of the real client with `ssh -G`, which prints the configuration it would use and connects
 * nowhere (a listener on the target port checks that); -F /dev/null keeps this machine's own ssh
 * config out of it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sshArgs, type SshSettings, type SshTarget } from '../../../controller/ssh/session.js';
import { checkSshOptions, mergeSshOptions, parseSshOption } from '../../../controller/ssh/options.js';

const SETTINGS: SshSettings = { connectTimeoutSec: 7, acceptNewHostKeys: false, extraOptions: [] };
const TARGET: SshTarget = { destination: 'node1.example' };

/** The -o values in args, in order. */
function options(args: readonly string[]): string[] {
  return args.flatMap((a, i) => (args[i - 1] === '-o' ? [a] : []));
}

test('ssh args: batch mode, connect timeout, keep-alives, strict host keys, no tty, no forwarding; destination and command last', () => {
  const args = sshArgs(TARGET, SETTINGS, 'exec sh');
  assert.equal(args[0], '-T');
  assert.deepEqual(options(args), [
    'BatchMode=yes',
    'ConnectTimeout=7',
    'ServerAliveInterval=5',
    'ServerAliveCountMax=3',
    'StrictHostKeyChecking=yes',
    'ForwardAgent=no',
    'ForwardX11=no',
    'ClearAllForwardings=yes',
  ]);
  assert.deepEqual(args.slice(-3), ['--', 'node1.example', 'exec sh']);
  assert.ok(!args.includes('-F'), 'no -F unless asked: ssh reads ~/.ssh/config');
  for (const flag of ['-i', '-p', '-l']) assert.ok(!args.includes(flag), `${flag} only when the node has one`);
});

test('ssh args: -F, the node\'s key (with IdentitiesOnly), port and user, and accept-new only with the flag', () => {
  const args = sshArgs({ destination: '10.0.0.5', key: '/k/id', port: 2222, user: 'admin' }, { ...SETTINGS, configFile: '/etc/tw/ssh_config', acceptNewHostKeys: true }, 'cmd');
  assert.deepEqual(args.slice(0, 9), ['-T', '-F', '/etc/tw/ssh_config', '-i', '/k/id', '-p', '2222', '-l', 'admin']);
  assert.ok(options(args).includes('StrictHostKeyChecking=accept-new'));
  assert.ok(options(args).includes('IdentitiesOnly=yes'));
  assert.ok(!options(sshArgs(TARGET, SETTINGS, 'cmd')).some((o) => /accept-new|IdentitiesOnly/.test(o)));
});

test('ssh args: the operator\'s options come first, and a default with the same key (any case, any form) is left out', () => {
  const extra = ['serveraliveinterval 9', 'ServerAliveCountMax = 1', 'StrictHostKeyChecking=accept-new', 'ProxyJump=bastion'];
  const got = options(sshArgs(TARGET, { ...SETTINGS, extraOptions: extra }, 'cmd'));
  assert.deepEqual(got.slice(0, extra.length), extra);
  assert.deepEqual(got.slice(extra.length), ['BatchMode=yes', 'ConnectTimeout=7', 'ForwardAgent=no', 'ForwardX11=no', 'ClearAllForwardings=yes']);
  assert.deepEqual(mergeSshOptions(['a=1'], ['A=2', 'b=3']), ['-o', 'a=1', '-o', 'b=3']);
});

test('ssh options: keys and values in the forms ssh -o takes', () => {
  assert.deepEqual(parseSshOption('BatchMode=no'), { key: 'batchmode', value: 'no' });
  assert.deepEqual(parseSshOption('  BatchMode   no '), { key: 'batchmode', value: 'no' });
  assert.deepEqual(parseSshOption('StrictHostKeyChecking = "off"'), { key: 'stricthostkeychecking', value: 'off' });
  assert.deepEqual(parseSshOption('ProxyCommand=ssh -W %h:%p bastion'), { key: 'proxycommand', value: 'ssh -W %h:%p bastion' });
  for (const bad of ['', 'BatchMode', 'BatchMode=', '=yes', '-o BatchMode=no']) assert.equal(parseSshOption(bad), undefined, bad);
});

const REFUSED: [string, RegExp][] = [
  ['BatchMode=no', /"BatchMode=no" is refused: .*never prompt/],
  ['batchmode no', /refused: .*never prompt/],
  ['StrictHostKeyChecking=no', /"StrictHostKeyChecking=no" is refused: host keys are always checked; .*--accept-new-hostkeys/],
  ['StrictHostKeyChecking off', /--accept-new-hostkeys/],
  ['stricthostkeychecking="No"', /--accept-new-hostkeys/],
  ['ConnectTimeout=30', /use --connect-timeout/],
  ['ForwardAgent=yes', /ssh-agent/],
  ['ForwardAgent=/run/agent.sock', /ssh-agent/],
  ['ForwardX11 yes', /channels back/],
  ['ClearAllForwardings=no', /channels back/],
  ['BatchMode', /not an ssh option: expected KEY=VALUE/],
];

for (const [option, message] of REFUSED) {
  test(`ssh options: ${option} is refused as a usage error`, () => {
    assert.throws(() => checkSshOptions(['ProxyJump=bastion', option]), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'TWOWAY_INPUT');
      assert.match(err.message, /field "--ssh-option"/);
      assert.match(err.message, message);
      return true;
    });
  });
}

test('ssh options: what does not weaken the session is passed as given', () => {
  const fine = ['ProxyJump=bastion', 'BatchMode=yes', 'StrictHostKeyChecking=yes', 'StrictHostKeyChecking accept-new', 'ForwardAgent=no', 'ServerAliveInterval=2', 'LogLevel=VERBOSE'];
  assert.deepEqual(checkSshOptions(fine), fine);
});

/** `ssh -G` for these args (twoway's, with -G in front): the effective configuration, keys lower-case. */
function effectiveConfig(args: readonly string[]): Map<string, string> {
  const r = spawnSync('ssh', ['-G', ...args], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
  return new Map(r.stdout.split('\n').filter((l) => l !== '').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
}

/** A listener on a loopback port that counts connections: ssh -G must make none. */
async function watchedPort(t: { after: (fn: () => Promise<void>) => void }): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as { port: number }).port, connections: () => count };
}

test('ssh -G: OpenSSH keeps the first value of an option (why the operator\'s go first)', async (t) => {
  const { port, connections } = await watchedPort(t);
  const config = effectiveConfig(['-F', '/dev/null', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveInterval=9', '-p', String(port), '--', 'nobody@127.0.0.1', 'true']);
  assert.equal(config.get('serveraliveinterval'), '5');
  assert.equal(connections(), 0);
});

test('ssh -G: the operator\'s options win over twoway\'s defaults; the defaults hold otherwise; nothing connects', async (t) => {
  const { port, connections } = await watchedPort(t);
  const target: SshTarget = { destination: '127.0.0.1', port, user: 'nobody' };
  const operator = ['ServerAliveInterval=9', 'serveralivecountmax 7', 'StrictHostKeyChecking=accept-new'];
  const config = effectiveConfig(sshArgs(target, { ...SETTINGS, configFile: '/dev/null', extraOptions: operator }, 'true'));
  assert.equal(config.get('serveraliveinterval'), '9');
  assert.equal(config.get('serveralivecountmax'), '7');
  assert.equal(config.get('stricthostkeychecking'), 'accept-new');
  assert.equal(config.get('batchmode'), 'yes');
  assert.equal(config.get('connecttimeout'), '7');
  assert.equal(config.get('forwardagent'), 'no');
  assert.equal(config.get('clearallforwardings'), 'yes');
  assert.equal(config.get('requesttty'), 'false');
  assert.equal(config.get('port'), String(port));
  assert.equal(config.get('user'), 'nobody');

  const defaults = effectiveConfig(sshArgs(target, { ...SETTINGS, configFile: '/dev/null' }, 'true'));
  assert.equal(defaults.get('serveraliveinterval'), '5');
  assert.equal(defaults.get('stricthostkeychecking'), 'true', 'StrictHostKeyChecking=yes, as ssh -G prints it');
  const acceptNew = effectiveConfig(sshArgs(target, { ...SETTINGS, configFile: '/dev/null', acceptNewHostKeys: true }, 'true'));
  assert.equal(acceptNew.get('stricthostkeychecking'), 'accept-new');
  assert.equal(connections(), 0);
});

test('cli: a refused --ssh-option exits 2 before anything starts', () => {
  const bin = fileURLToPath(new URL('../../../../bin/twoway.js', import.meta.url));
  for (const [option, message] of [['BatchMode=no', /never prompt/], ['StrictHostKeyChecking=no', /--accept-new-hostkeys/]] as const) {
    const r = spawnSync(process.execPath, [bin, 'run', '--node', '127.0.0.1', '-o', option], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /testing/);
    assert.equal(r.stdout, '');
  }
});
