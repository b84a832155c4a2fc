/** Which profiles a command works with (built-in, or a --profiles file's), and the checks of nodes against them. */
import { InputError } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import { BUILT_IN_PROFILES, type ProfileSet } from '../profiles.js';

/** Built-in profiles plus the --profiles file's; the --profile flag must name one of them. */
export async function profilesFor(flags: { profile: string; profiles?: string }): Promise<ProfileSet> {
  // The file's reader (and its YAML parser) is loaded only when there is a file to read.
  const profiles = flags.profiles === undefined ? BUILT_IN_PROFILES : (await import('../profile-file.js')).loadProfileFile(flags.profiles);
  // Own names only: --profile constructor must not find Object.prototype's.
  if (!Object.hasOwn(profiles, flags.profile)) throw new InputError(`unknown profile "${flags.profile}"; expected one of ${Object.keys(profiles).join(', ')}`, { field: '--profile' });
  return profiles;
}

/** Nodes whose profile needs several addresses (Integrity: management and production) must list them all. */
export function checkProfileAddresses(inventory: Inventory, profiles: ProfileSet): void {
  for (const node of inventory.nodes) {
    const profile = profiles[node.profile]!;
    if (node.addresses.length < profile.minAddresses) {
      throw new InputError(
        `node "${node.name}" has profile ${profile.name}, which needs ${profile.minAddresses} addresses (${profile.description}); found ${node.addresses.length}: give "addresses: [...]"`,
        { file: node.from.file, ...(node.from.line > 0 ? { line: node.from.line } : {}), field: 'addresses' },
      );
    }
  }
}
