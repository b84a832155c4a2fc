/** The nodes a command works on: the inventory or --node flags, cut by --limit, aliases resolved by ssh -G. */
import { InputError } from '../errors.js';
import { applyLimit } from '../inventory/limit.js';
import { inventoryFromHostSpecs, loadInventoryDescribed, type InventoryKind } from '../inventory/parse.js';
import { resolveSshAliases } from '../inventory/ssh-alias.js';
import type { Inventory } from '../inventory/types.js';

export interface NodeFlags {
  inventory?: string;
  node: string[];
  profile: string;
  limit?: string;
  sshConfig?: string;
}

export function loadNodes(flags: NodeFlags, knownProfiles: readonly string[]): { inventory: Inventory; kind: InventoryKind | '--node' } {
  const opts = { knownProfiles, defaultProfile: flags.profile };
  if (flags.inventory !== undefined && flags.node.length > 0) throw new InputError('give either --inventory or --node, not both', { field: '--node' });
  const loaded =
    flags.inventory !== undefined
      ? loadInventoryDescribed(flags.inventory, opts)
      : flags.node.length > 0
        ? { inventory: inventoryFromHostSpecs(flags.node, opts), kind: '--node' as const }
        : undefined;
  if (loaded === undefined) throw new InputError('nothing to test: give --inventory FILE or --node ADDR', { field: '--inventory' });
  if (flags.limit === undefined) return loaded;
  return { ...loaded, inventory: { ...loaded.inventory, nodes: applyLimit(loaded.inventory.nodes, flags.limit) } };
}

/** The ssh_config twoway passes with -F: the flag, else the inventory's. */
export function sshConfigFile(flags: NodeFlags, inventory: Inventory): string | undefined {
  return flags.sshConfig ?? inventory.sshConfig;
}

/** Node addresses that are ssh_config Host aliases become the addresses ssh -G resolves them to. */
export async function withSshAliasesResolved(flags: NodeFlags, inventory: Inventory): Promise<Inventory> {
  const configFile = sshConfigFile(flags, inventory);
  return { ...inventory, nodes: await resolveSshAliases(inventory.nodes, configFile === undefined ? {} : { configFile }) };
}
