/**
 * What each node needs settled before its session (pure where it can be): its addresses resolved and
 * the controller addresses it calls back to, whether it makes FTP callbacks, which callbacks the
 * run's update manager does not need from it (and which of those `--callbacks off` leaves untested),
 * and the FTP ports a run opens.
 */
import type { NodeSpec } from '../../src/inventory/types.js';
import type { PortRange, WebProto } from '../../src/protocol.js';
import { CALLBACK_KINDS, callbacksMade, type CallbackKind, type Profile } from '../../src/profiles.js';
import { UPDATE_MANAGERS, unneededReason, type UpdateManager } from '../../src/managers.js';
import { SetupError } from '../../src/errors.js';
import type { NotTestedCallback } from '../diagnose/inputs.js';
import { resolveAddress, sourceAddressFor } from '../host/route.js';
import type { RunOptions } from './run.js';

export interface AddressedNode {
  spec: NodeSpec;
  addresses: string[];
  callbackAddresses: string[];
}

/** Where a node was defined, as its errors name it: `file:line`, or the flag for a --node. */
function placeOf(spec: NodeSpec): string {
  return spec.from.line > 0 ? `${spec.from.file}:${spec.from.line}` : spec.from.file;
}

/**
 * Resolves each node's addresses and picks its callback addresses: the source of this host's route to
 * each of the node's addresses (a dual-homed node may reach the controller on two of its addresses).
 * An address with no route is left to the forward probes to report, as long as one address has one.
 * Throws SetupError naming the node and where it was defined.
 */
export async function prepareAddresses(options: RunOptions): Promise<AddressedNode[]> {
  return Promise.all(
    options.nodes.map(async (spec) => {
      const fail = (err: unknown, advice: string): SetupError =>
        new SetupError(`node "${spec.name}" (${placeOf(spec)}): ${(err as Error).message}${advice}`, { cause: err });
      const addresses = await Promise.all(spec.addresses.map(resolveAddress)).catch((err: unknown) => {
        throw fail(err, '');
      });
      if (options.callbackAddresses.length > 0) return { spec, addresses, callbackAddresses: options.callbackAddresses };
      const sources = await Promise.allSettled(addresses.map(sourceAddressFor));
      const found = sources.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      if (found.length === 0) throw fail((sources[0] as PromiseRejectedResult).reason, '; give --callback-address');
      return { spec, addresses, callbackAddresses: [...new Set(found)] };
    }),
  );
}

type ChoiceOptions = Pick<RunOptions, 'ftp' | 'profiles' | 'manager' | 'callbacks'>;

/** The manager that judges the node: its inventory's `manager:`, else the run's --manager. */
export function managerFor(options: Pick<RunOptions, 'manager'>, spec: NodeSpec): UpdateManager | undefined {
  return spec.manager === undefined ? options.manager : UPDATE_MANAGERS[spec.manager];
}

/** The node's own manager's name when it differs from the run's, for its report. */
export function ownManager(options: Pick<RunOptions, 'manager'>, spec: NodeSpec): string | undefined {
  return spec.manager !== undefined && spec.manager !== options.manager?.name ? spec.manager : undefined;
}

/** FTP callbacks need an agent: --ftp, the node's `ftp: true`, or a profile that makes them (a switch stand-in). */
function wantsFtp(options: Pick<RunOptions, 'ftp' | 'profiles'>, spec: NodeSpec): boolean {
  const made = callbacksMade(options.profiles[spec.profile]!);
  return made.length > 0 && (options.ftp.all || spec.ftp === true || made.includes('ftp'));
}

/** Whether the node fetches a file over FTP in this run: it wants to, and `--callbacks off` does not leave FTP out. */
export function usesFtp(options: ChoiceOptions, spec: NodeSpec): boolean {
  return wantsFtp(options, spec) && skippedCallbacks(options, spec).ftp === undefined;
}

/**
 * The callback kinds a run would test from this node: the web ports from an agent or from a BMC over
 * Redfish, FTP where asked for; none from other agentless devices.
 */
function testableCallbacks(options: ChoiceOptions, spec: NodeSpec): CallbackKind[] {
  const profile = options.profiles[spec.profile]!;
  if (!profile.agent) return spec.redfish === undefined ? [] : ['http', 'https'];
  return wantsFtp(options, spec) ? ['http', 'https', 'ftp'] : ['http', 'https'];
}

/** Callback kinds left untested by choice (`--callbacks off`): those the manager does not need from the node, with why. */
export function skippedCallbacks(options: ChoiceOptions, spec: NodeSpec): Partial<Record<CallbackKind, string>> {
  const manager = managerFor(options, spec);
  if (options.callbacks !== 'off' || manager === undefined) return {};
  return unneededCallbacks(manager, options.profiles[spec.profile]!);
}

/** The web callbacks the node is asked to make (or the BMC to fetch): those not left out by choice. */
export function webCallbacks(options: ChoiceOptions, spec: NodeSpec): WebProto[] {
  const skipped = skippedCallbacks(options, spec);
  return (['http', 'https'] as const).filter((kind) => skipped[kind] === undefined);
}

/** The callbacks the run would have tested but does not, by choice, each on the port it would have used. */
export function notTestedCallbacks(options: ChoiceOptions, spec: NodeSpec, ports: Record<CallbackKind, number>): NotTestedCallback[] {
  const skipped = skippedCallbacks(options, spec);
  return testableCallbacks(options, spec).flatMap((kind) => {
    const why = skipped[kind];
    return why === undefined ? [] : [{ proto: kind, port: ports[kind], why }];
  });
}

/** Each callback kind the manager does not need from a node of this profile, with why. */
export function unneededCallbacks(manager: UpdateManager, profile: Profile): Partial<Record<CallbackKind, string>> {
  return Object.fromEntries(CALLBACK_KINDS.flatMap((kind) => {
    const why = unneededReason(manager, profile, kind);
    return why === undefined ? [] : [[kind, why]];
  }));
}

/** The FTP control port and every port of the passive range. */
export function ftpPortsOf(ftp: { controlPort: number; dataPorts: PortRange }): number[] {
  return [ftp.controlPort, ...Array.from({ length: ftp.dataPorts.last - ftp.dataPorts.first + 1 }, (_, i) => ftp.dataPorts.first + i)];
}
