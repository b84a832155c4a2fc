/** `twoway profiles`: the profiles a run can use, with their ports and directions. */
import { Option, type Command } from 'commander';
import { MANAGER_NAMES, UPDATE_MANAGERS, callbacksNeeded } from '../managers.js';
import { UPDATE_MANAGER_PORTS } from '../profiles.js';
import { renderManagerMatrix } from '../render/managers.js';
import { portRows, renderProfiles, type CallbackPorts } from '../render/profiles.js';
import { parsePort } from './parse.js';
import { profilesFor } from './run.js';

interface ProfilesFlags {
  profiles?: string;
  port?: string;
  sslPort?: string;
  ftpPort?: string;
  manager?: string;
  json: boolean;
}

export function registerProfiles(program: Command): void {
  program
    .command('profiles')
    .description('list the node profiles (built-in and from --profiles FILE) with their ports and directions')
    .option('--profiles <file>', 'custom profile file (YAML/JSON)')
    .option('--port <port>', 'callback HTTP port to show')
    .option('--ssl-port <port>', 'callback HTTPS port to show')
    .option('--ftp-port <port>', 'FTP control port to show')
    .addOption(new Option('--manager <name>', "show the callbacks this update manager needs, and the matrix of node types against managers").choices(MANAGER_NAMES))
    .option('--json', 'as JSON', false)
    .action((flags: ProfilesFlags) => {
      const profiles = profilesFor({ profile: 'linux', ...(flags.profiles === undefined ? {} : { profiles: flags.profiles }) });
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
    });
}
