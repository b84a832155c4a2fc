/**
 * Starts the lab's BMC stand-ins (controller/lab/redfish/main.ts), one in each BMC scenario's
 * namespace on its address and port 443: a password file the inventory points at, and for the
 * scenario that refuses the run's certificate a CA of its own. `lab down` ends them with every other
 * process in the lab namespaces.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRunCertificate } from '../wire/cert.js';
import { nodeNetns } from './plan.js';
import { BUSY_IMAGE } from './scenarios-bmc.js';
import { scenarioAddresses, type LabScenario } from './scenarios-model.js';
import { BMC_PASSWORD_FILE, BMC_TOFU_FILE, BMC_USER, type LabPaths } from './state.js';

const MAIN = fileURLToPath(new URL('./redfish/main.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;

/** The state file a BMC writes after each change (its slots and every insert and eject): the lab tests read it. */
export const bmcStateFile = (paths: LabPaths, node: string): string => join(paths.stateDir, `${node}.bmc.json`);

export async function startBmcs(scenarios: readonly LabScenario[], paths: LabPaths): Promise<void> {
  const bmcs = scenarios.filter((s) => s.bmc !== undefined);
  if (bmcs.length === 0) return;
  const passwordFile = join(paths.stateDir, BMC_PASSWORD_FILE);
  writeFileSync(passwordFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  // A fresh lab has new BMC certificates: the trust-on-first-use file starts empty.
  writeFileSync(join(paths.stateDir, BMC_TOFU_FILE), '', { mode: 0o600 });
  const otherCa = join(paths.stateDir, 'bmc-other-ca.pem');
  writeFileSync(otherCa, (await createRunCertificate([], 'twoway lab corporate CA')).certPem);
  for (const s of bmcs) {
    const address = scenarioAddresses(s)[0]!;
    const args = ['netns', 'exec', nodeNetns(s.node), process.execPath, MAIN, '--listen', `${address}:443`, '--user', BMC_USER, '--password-file', passwordFile, '--trust', s.bmc!.trust === 'all' ? 'all' : `ca:${otherCa}`, '--state', bmcStateFile(paths, s.node)];
    if (s.bmc!.busySlot === true) args.push('--busy', `CD1=${BUSY_IMAGE}`);
    const log = openSync(join(paths.stateDir, `${s.node}.bmc.log`), 'a');
    spawn('ip', args, { detached: true, stdio: ['ignore', log, log] }).unref();
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (const s of bmcs) {
    while (!existsSync(bmcStateFile(paths, s.node))) {
      if (Date.now() > deadline) throw new Error(`the BMC stand-in of ${s.node} did not start within ${START_TIMEOUT_MS} ms (see ${join(paths.stateDir, `${s.node}.bmc.log`)})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
