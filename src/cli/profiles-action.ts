/** What `twoway profiles` does (src/cli/profiles.ts registers it): the profiles with their ports, as text or JSON. */
import { UPDATE_MANAGERS, callbacksNeeded } from '../managers.js';
import { UPDATE_MANAGER_PORTS } from '../profiles.js';
import { renderManagerMatrix } from '../render/managers.js';
import { portRows, renderProfiles, type CallbackPorts } from '../render/profiles.js';
import { parsePort } from './parse.js';
import { profilesFor } from './profile-choice.js';

export interface ProfilesFlags {
  profiles?: string;
  port?: string;
  sslPort?: string;
  ftpPort?: string;
  manager?: string;
  json: boolean;
}

export async function profilesAction(flags: ProfilesFlags): Promise<void> {
  const profiles = await profilesFor({ profile: 'linux', ...(flags.profiles === undefined ? {} : { profiles: flags.profiles }) });
  const manager = flags.manager === undefined ? undefined : UPDATE_MANAGERS[flags.manager]!;
  const port = (text: string | undefined, name: string, fallback: number): number => (text === undefined ? fallback : parsePort(text, name, true));
  const ports: CallbackPorts = {
    httpPort: port(flags.port, '--port', manager?.ports.http ?? UPDATE_MANAGER_PORTS.port),
    httpsPort: port(flags.sslPort, '--ssl-port', manager?.ports.https ?? UPDATE_MANAGER_PORTS.ssl_port),
    ftpPort: port(flags.ftpPort, '--ftp-port', UPDATE_MANAGER_PORTS.ftp_port),
    ftpData: UPDATE_MANAGER_PORTS.ftpData,
  };
  if (flags.json) {
    const out = Object.values(profiles).map((p) => ({
      name: p.name,
      description: p.description,
      agent: p.agent,
      minAddresses: p.minAddresses,
      origin: p.origin,
      ...(manager === undefined ? {} : { manager: manager.name, callbacksNeeded: callbacksNeeded(manager, p) }),
      ports: portRows(p, ports, manager),
    }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else process.stdout.write(`${renderProfiles(profiles, ports, manager)}${manager === undefined ? '' : `\n${renderManagerMatrix(profiles, manager)}`}`);
}
