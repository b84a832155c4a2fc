/** `twoway profiles`: the profiles a run can use, with their ports and directions. */
import { Option, type Command } from 'commander';
import { MANAGER_NAMES } from '../managers.js';
import type { ProfilesFlags } from './profiles-action.js';

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
    .action(async (flags: ProfilesFlags) => {
      const { profilesAction } = await import('./profiles-action.js');
      await profilesAction(flags);
    });
}
