/**
 * `twoway run` with a BMC node (Ansible twoway_redfish_* variables) against the Redfish stand-in on
 * 127.0.0.1: the BMC's callbacks become paths of the report, the media is ejected, the session is
 * logged out, and the password (from an environment variable) is neither on the command line nor in
 * any report.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { RedfishStandIn } from '../../../controller/lab/redfish/server.js';
import { createRunCertificate } from '../../../controller/wire/cert.js';
import type { RedfishEvidence } from '../../../src/evidence.js';
import type { Report } from '../../../src/report.js';
import { BIN, tempDir } from '../../helpers/cli.js';
import { LOOPBACK } from '../../helpers/loopback-server.js';

const run = promisify(execFile);
const PASSWORD = 'Run-Secret-4417';

test('cli run: a BMC node is tested over Redfish; the password comes from the environment and appears nowhere', async (t) => {
  const dir = tempDir(t, 'twoway-redfish-run-');
  const cert = await createRunCertificate([LOOPBACK], 'bmc');
  const standIn = new RedfishStandIn({ user: 'root', password: PASSWORD, cert, trust: { kind: 'all' }, fetchDeadlineMs: 3000 });
  const port = await standIn.listen(LOOPBACK);
  t.after(() => standIn.close());
  // The lab BMC's web port is the stand-in's: a profile that probes it forward.
  writeFileSync(join(dir, 'profiles.yaml'), `profiles:\n  bmc-lab:\n    extends: bmc\n    remove: [443]\n    add: [{ port: ${port}, probe: https, purpose: "Redfish (lab port)" }]\n`);
  writeFileSync(
    join(dir, 'hosts.ini'),
    [`[bmcs]`, `bmc1 ansible_host=${LOOPBACK} twoway_profile=bmc-lab twoway_redfish_port=${port} twoway_redfish_user=root twoway_redfish_password_env=TW_BMC_PW twoway_redfish_fingerprint=${cert.fingerprint256}`, ''].join('\n'),
  );
  const args = ['run', '-i', join(dir, 'hosts.ini'), '--profiles', join(dir, 'profiles.yaml'), '--manager', 'openmanage', '--callback-address', LOOPBACK, '--port', '0', '--ssl-port', '0', '--no-alternates', '--quiet', '--json', join(dir, 'r.json')];
  assert.ok(!args.join(' ').includes(PASSWORD));
  const r = await run(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', TW_BMC_PW: PASSWORD } }).catch((err: { stdout: string; stderr: string; code: number }) => err);
  const text = readFileSync(join(dir, 'r.json'), 'utf8');
  const report = JSON.parse(text) as Report;
  const paths = report.nodes[0]!.paths.filter((p) => p.evidence.kind === 'redfish');
  assert.deepEqual(paths.map((p) => `${p.proto}:${p.verdict}`), ['http:ok', 'https:ok'], `${r.stdout}\n${r.stderr}`);
  assert.equal((paths[0]!.evidence as RedfishEvidence).ejected, true);
  assert.deepEqual(standIn.state.actions.map((a) => a.action), ['insert', 'eject', 'insert', 'eject']);
  assert.equal(standIn.state.sessions, 0);
  assert.ok(!text.includes(PASSWORD) && !r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), 'the password is in no report and no output');
});
