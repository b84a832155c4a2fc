/** The profile table as text: per profile, each port with its direction, protocol, purpose and (forward) what it needs. */
import { callbacksMade, type CallbackKind, type ForwardNeeds, type Profile, type ProfileSet } from '../profiles.js';

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

export function portRows(profile: Profile, ports: CallbackPorts): PortRow[] {
  const forward = profile.forward.map((fp): PortRow => ({
    direction: 'forward',
    port: String(fp.port),
    proto: fp.probe === 'netbios-ns' ? 'udp/netbios-ns' : fp.probe === 'tcp' ? 'tcp' : `tcp/${fp.probe}`,
    purpose: fp.purpose,
    needs: fp.needs,
  }));
  // An agentless profile's callbacks are listed (the device makes them during an update) but cannot be tested.
  const untested = profile.callbacks.filter((kind) => !callbacksMade(profile).includes(kind));
  const callbacks = profile.callbacks.flatMap((kind) =>
    CALLBACK_ROWS[kind](ports).map((row) => (untested.includes(kind) ? { ...row, purpose: `${row.purpose} [not tested: no agent]` } : row)),
  );
  return [...forward, ...callbacks];
}

export function renderProfiles(profiles: ProfileSet, ports: CallbackPorts): string {
  const blocks = Object.values(profiles).map((profile) => {
    const rows = portRows(profile, ports);
    const notes = [
      profile.agent ? 'agent over SSH calls back' : 'agentless: forward probes only, nothing is deployed',
      profile.minAddresses > 1 ? `needs ${profile.minAddresses} addresses, each tested` : undefined,
      profile.hints.esxiFirewall ? 'ESXi firewall rule file suggested when callbacks are dropped' : undefined,
      profile.hints.defaultRuntime === undefined ? undefined : `agent: ${profile.hints.defaultRuntime} unless the node or --runtime names one`,
      profile.origin === 'built-in' ? undefined : `from ${profile.origin}`,
      !profile.agent && profile.callbacks.length > 0 ? `testing its ${profile.callbacks.join('/')} callbacks needs an agent on a stand-in host (a custom profile with "agent: true")` : undefined,
    ].filter((n): n is string => n !== undefined);
    const lines = rows.map((r) => `    ${(r.direction === 'forward' ? 'controller -> node' : 'node -> controller').padEnd(20)}${r.port.padEnd(13)}${r.proto.padEnd(16)}${r.purpose}${r.needs === undefined ? '' : NEEDS_WORDS[r.needs]}`);
    return `${profile.name}: ${profile.description}\n  ${notes.join('; ')}\n${lines.join('\n')}\n`;
  });
  return `${blocks.join('\n')}\nCallback ports follow --port/--ssl-port/--ftp-port; the FTP passive range shown is the default (a run takes --ftp-data-ports).\n`;
}
