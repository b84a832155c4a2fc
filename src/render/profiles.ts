/** The profile table as text: per profile, each port with its direction, protocol, purpose and (forward) what it needs. */
import { callbacksMade, type CallbackKind, type ForwardNeeds, type Profile, type ProfileSet } from '../profiles.js';
import { callbacksNeeded, unneededReason, type UpdateManager } from '../managers.js';

export interface CallbackPorts {
  httpPort: number;
  httpsPort: number;
  ftpPort: number;
  ftpData: { first: number; last: number };
}

export interface PortRow {
  direction: 'forward' | 'callback';
  port: string;
  proto: string;
  purpose: string;
  /** Forward ports: what the update manager needs there, so what a reset from the node means (src/profiles.ts FORWARD_NEEDS). */
  needs?: ForwardNeeds;
}

const NEEDS_WORDS: Record<ForwardNeeds, string> = { service: ' [needs a service: closed is a fault]', path: ' [needs the path only: closed is fine]' };

const CALLBACK_ROWS: Record<CallbackKind, (p: CallbackPorts) => PortRow[]> = {
  http: (p) => [{ direction: 'callback', port: String(p.httpPort), proto: 'tcp/http', purpose: "update manager's web server: firmware downloads, status posts" }],
  https: (p) => [{ direction: 'callback', port: String(p.httpsPort), proto: 'tcp/https', purpose: "update manager's web server over TLS" }],
  ftp: (p) => [
    { direction: 'callback', port: String(p.ftpPort), proto: 'tcp/ftp', purpose: 'FTP control (switch updates)' },
    { direction: 'callback', port: `${p.ftpData.first}-${p.ftpData.last}`, proto: 'tcp/ftp-data', purpose: 'FTP passive data range' },
  ],
};

/**
 * A profile's ports as rows. With a manager, the callbacks are those the profile makes and those the
 * manager needs, each saying when the manager does not need it (measured, information only).
 */
export function portRows(profile: Profile, ports: CallbackPorts, manager?: UpdateManager): PortRow[] {
  const forward = profile.forward.map((fp): PortRow => ({
    direction: 'forward',
    port: String(fp.port),
    proto: fp.probe === 'netbios-ns' ? 'udp/netbios-ns' : fp.probe === 'tcp' ? 'tcp' : `tcp/${fp.probe}`,
    purpose: fp.purpose,
    needs: fp.needs,
  }));
  // An agentless profile's callbacks are listed (the device makes them during an update) but cannot be tested.
  const made = callbacksMade(profile);
  const kinds = manager === undefined ? profile.callbacks : [...new Set([...profile.callbacks, ...callbacksNeeded(manager, profile)])];
  const note = (kind: CallbackKind): string | undefined => {
    const unneeded = manager === undefined ? undefined : unneededReason(manager, profile, kind);
    if (unneeded !== undefined) return made.includes(kind) ? `not needed: ${unneeded}; measured as information` : `not needed: ${unneeded}`;
    return made.includes(kind) ? undefined : 'not tested: no agent';
  };
  const callbacks = kinds.flatMap((kind) => CALLBACK_ROWS[kind](ports).map((row) => (note(kind) === undefined ? row : { ...row, purpose: `${row.purpose} [${note(kind)}]` })));
  return [...forward, ...callbacks];
}

/** How an agentless node's callbacks get tested: Redfish virtual media fetches over http and https only. */
function agentlessCallbacks(callbacks: readonly string[]): string {
  const standIn = 'an agent on a stand-in host (a custom profile with "agent: true")';
  return callbacks.some((c) => c === 'http' || c === 'https')
    ? `its ${callbacks.join('/')} callbacks are tested through its Redfish service where it has one (redfish: on the node; http and https), else by ${standIn}`
    : `testing its ${callbacks.join('/')} callbacks needs ${standIn}`;
}

export function renderProfiles(profiles: ProfileSet, ports: CallbackPorts, manager?: UpdateManager): string {
  const blocks = Object.values(profiles).map((profile) => {
    const rows = portRows(profile, ports, manager);
    const notes = [
      profile.agent ? 'agent over SSH calls back' : 'agentless: forward probes only, nothing is deployed',
      profile.minAddresses > 1 ? `needs ${profile.minAddresses} addresses, each tested` : undefined,
      profile.hints.esxiFirewall ? 'ESXi firewall rule file suggested when callbacks are dropped' : undefined,
      profile.hints.defaultRuntime === undefined ? undefined : `agent: ${profile.hints.defaultRuntime} unless the node or --runtime names one`,
      profile.origin === 'built-in' ? undefined : `from ${profile.origin}`,
      !profile.agent && profile.callbacks.length > 0 ? agentlessCallbacks(profile.callbacks) : undefined,
    ].filter((n): n is string => n !== undefined);
    const lines = rows.map((r) => `    ${(r.direction === 'forward' ? 'controller -> node' : 'node -> controller').padEnd(20)}${r.port.padEnd(13)}${r.proto.padEnd(16)}${r.purpose}${r.needs === undefined ? '' : NEEDS_WORDS[r.needs]}`);
    return `${profile.name}: ${profile.description}\n  ${notes.join('; ')}\n${lines.join('\n')}\n`;
  });
  return `${blocks.join('\n')}\nCallback ports follow --port/--ssl-port/--ftp-port; the FTP passive range shown is the default (a run takes --ftp-data-ports).\n`;
}
