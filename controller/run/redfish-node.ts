/**
 * The run's side of a node's Redfish callback test: the password from where the inventory says (an
 * environment variable or a file, never argv), the BMC's trust setting, one media URL per callback
 * port and controller address, then the prober (controller/probers/redfish.ts) and the judgement.
 */
import { readFileSync } from 'node:fs';
import type { RedfishSpec } from '../../src/inventory/redfish.js';
import type { NodeSpec } from '../../src/inventory/types.js';
import type { WebProto } from '../../src/protocol.js';
import type { PathReport } from '../../src/report.js';
import { judgeRedfish } from '../diagnose/redfish.js';
import type { BmcTrust } from '../probers/redfish-client.js';
import { DEFAULT_REDFISH_TIMINGS, testRedfishCallbacks, type MediaProbe, type RedfishOutcome } from '../probers/redfish.js';
import type { CallbackListener } from '../wire/listener.js';
import { mediaUrl } from '../wire/listener-media.js';

/** The password, or why it could not be read (the message never contains it). */
export function bmcPassword(spec: RedfishSpec, env: NodeJS.ProcessEnv = process.env): { password: string } | { problem: string } {
  if ('env' in spec.password) {
    const value = env[spec.password.env];
    return value === undefined || value === '' ? { problem: `environment variable ${spec.password.env} is not set` } : { password: value };
  }
  try {
    const text = readFileSync(spec.password.file, 'utf8').replace(/\r?\n$/, '');
    return text === '' ? { problem: `password file ${spec.password.file} is empty` } : { password: text };
  } catch (err) {
    return { problem: `cannot read password file ${spec.password.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  }
}

function trustOf(spec: RedfishSpec): BmcTrust | { problem: string } {
  const t = spec.trust;
  if ('fingerprint256' in t) return { kind: 'pin', fingerprint256: t.fingerprint256 };
  if ('tofuFile' in t) return { kind: 'tofu', file: t.tofuFile };
  try {
    return { kind: 'ca', caPem: readFileSync(t.caFile, 'utf8') };
  } catch (err) {
    return { problem: `cannot read CA file ${t.caFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  }
}

/** One media probe per web callback port (of those tested) and controller address, each URL naming its probe. */
export function mediaProbes(node: string, token: string, callbackAddresses: readonly string[], ports: { http: number; https: number }, protos: readonly WebProto[] = ['http', 'https']): MediaProbe[] {
  return callbackAddresses.flatMap((address, i) =>
    protos.map((proto) => {
      const id = `redfish-${proto}-${i}`;
      return { id, node, proto, address, port: ports[proto], url: mediaUrl(proto, address, ports[proto], token, id) };
    }),
  );
}

export async function redfishPaths(
  spec: NodeSpec & { redfish: RedfishSpec },
  token: string,
  callbackAddresses: readonly string[],
  protos: readonly WebProto[],
  listener: CallbackListener,
  signal?: AbortSignal,
): Promise<PathReport[]> {
  const probes = mediaProbes(spec.name, token, callbackAddresses, { http: listener.portFor('http'), https: listener.portFor('https') }, protos);
  if (probes.length === 0) return [];
  const address = spec.redfish.address ?? spec.addresses[0]!;
  const bmc = { address, port: spec.redfish.port ?? 443 };
  const password = bmcPassword(spec.redfish);
  const trust = trustOf(spec.redfish);
  let outcome: RedfishOutcome;
  // Interrupted before its turn: its paths say so (not measured), and the BMC is not contacted.
  if (signal?.aborted === true) outcome = { bmc, trust: '', attempts: [], skipped: { reason: 'interrupted', message: 'the run was interrupted before this BMC was tested' }, loggedOut: true };
  else if ('problem' in password || 'problem' in trust) {
    const message = 'problem' in password ? password.problem : (trust as { problem: string }).problem;
    outcome = { bmc, trust: '', attempts: [], skipped: { reason: 'error', message }, loggedOut: true };
  } else outcome = await testRedfishCallbacks({ ...bmc, user: spec.redfish.user, password: password.password, trust }, probes, listener.ledger, DEFAULT_REDFISH_TIMINGS, signal);
  return judgeRedfish(outcome, probes);
}
