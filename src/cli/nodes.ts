/** The nodes a command works on: the inventory or --node flags, cut by --limit, aliases resolved by ssh -G. */
import { closeSync, openSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseSshOption } from '../../controller/ssh/options.js';
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
  sshOption?: string[];
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

/** Why ssh could not read FILE (an errno code, or that it is a directory); undefined when it can. */
function unreadable(file: string): string | undefined {
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) return 'it is a directory';
    // Only a regular file is opened: a pipe (-F <(...)) would block or lose what ssh should read.
    if (stat.isFile()) closeSync(openSync(file, 'r'));
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
}

/** The inventory fields a key or an ssh_config comes from, by format, for the error's place. */
function fieldsOf(kind: InventoryKind | '--node'): { key: string; sshConfig: string } {
  return kind.startsWith('ansible') ? { key: 'ansible_ssh_private_key_file', sshConfig: 'twoway_ssh_config' } : { key: 'key', sshConfig: 'ssh_config' };
}

/**
 * The files ssh will be given must be there and readable: the ssh_config (-F) and each node's key,
 * and an IdentityFile given with -o. A missing one is a usage error (exit 2, nothing started), not
 * a network fault: ssh would fail on every node alike and each would look unreachable.
 */
export function checkSshFiles(flags: NodeFlags, loaded: { inventory: Inventory; kind: InventoryKind | '--node' }): void {
  const fields = fieldsOf(loaded.kind);
  const configFile = sshConfigFile(flags, loaded.inventory);
  const configProblem = configFile === undefined ? undefined : unreadable(configFile);
  if (configProblem !== undefined) {
    throw flags.sshConfig !== undefined
      ? new InputError(`cannot read the ssh_config file: ${configProblem}`, { file: configFile, field: '--ssh-config' })
      : new InputError(`cannot read the ssh_config file "${configFile}": ${configProblem}`, { ...(flags.inventory === undefined ? {} : { file: flags.inventory }), field: fields.sshConfig });
  }
  for (const node of loaded.inventory.nodes) {
    const keyProblem = node.key === undefined ? undefined : unreadable(node.key);
    if (keyProblem !== undefined) {
      throw new InputError(`node "${node.name}": cannot read the SSH key file "${node.key}": ${keyProblem}`, { file: node.from.file, line: node.from.line, field: fields.key });
    }
  }
  for (const option of flags.sshOption ?? []) {
    const parsed = parseSshOption(option);
    // A path with ssh's %-tokens is ssh's to expand; the check would only guess.
    if (parsed?.key !== 'identityfile' || parsed.value.includes('%')) continue;
    const file = parsed.value.startsWith('~/') ? join(homedir(), parsed.value.slice(2)) : parsed.value;
    const problem = unreadable(file);
    if (problem !== undefined) throw new InputError(`"${option}": cannot read the SSH key file "${file}": ${problem}`, { field: '--ssh-option' });
  }
}
