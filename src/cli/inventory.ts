/** `twoway inventory FILE`: what twoway understood from an inventory, node by node; exit 2 on bad input. */
import type { Command } from 'commander';
import type { InventoryKind } from '../inventory/parse.js';
import type { Inventory, NodeSpec } from '../inventory/types.js';
import { DEFAULT_PROFILE } from '../profiles.js';

interface InventoryFlags {
  profile: string;
  profiles?: string;
  limit?: string;
  sshConfig?: string;
  json: boolean;
}

const KIND_TITLES: Record<InventoryKind, string> = {
  'twoway-yaml': 'twoway YAML',
  'twoway-json': 'twoway JSON',
  'ansible-ini': 'Ansible INI',
  'ansible-yaml': 'Ansible YAML',
  'ansible-json': 'ansible-inventory --list JSON',
  hostlist: 'host list',
};

export function registerInventory(program: Command): void {
  program
    .command('inventory')
    .description('print what twoway understood from an inventory (twoway YAML/JSON, Ansible INI/YAML/JSON, host list)')
    .argument('<file>', 'the inventory')
    .option('-l, --limit <pattern>', 'only these nodes or groups (as for twoway run)')
    .option('-F, --ssh-config <file>', 'ssh_config file for resolving Host aliases with ssh -G')
    .option('--profile <name>', 'profile for nodes that name none', DEFAULT_PROFILE)
    .option('--profiles <file>', 'custom profile file (as for twoway run)')
    .option('--json', 'print JSON', false)
    .action(async (file: string, flags: InventoryFlags) => {
      const [{ loadNodes, sshConfigFile, withSshAliasesResolved }, { profilesFor }] = await Promise.all([import('./nodes.js'), import('./profile-choice.js')]);
      const nodeFlags = { ...flags, inventory: file, node: [] };
      const { inventory: loaded, kind } = loadNodes(nodeFlags, Object.keys(await profilesFor(flags)));
      const inventory = await withSshAliasesResolved(nodeFlags, loaded);
      const sshConfig = sshConfigFile(nodeFlags, inventory);
      const shown = { ...inventory, ...(sshConfig === undefined ? {} : { sshConfig }) };
      process.stdout.write(flags.json ? `${JSON.stringify({ file, format: kind, ...shown }, null, 2)}\n` : describeInventory(file, kind, shown));
    });
}

export function describeInventory(file: string, kind: InventoryKind | '--node', inventory: Inventory): string {
  const lines = [`${file}: ${kind === '--node' ? '--node flags' : KIND_TITLES[kind]}, ${inventory.nodes.length} node(s)`];
  const { netns, callbackAddresses } = inventory.controller;
  if (netns !== undefined) lines.push(`controller network namespace: ${netns}`);
  if (callbackAddresses !== undefined) lines.push(`callback addresses: ${callbackAddresses.join(', ')}`);
  if (inventory.sshConfig !== undefined) lines.push(`ssh_config: ${inventory.sshConfig}`);
  lines.push('');
  const header = ['NAME', 'ADDRESSES', 'USER', 'PORT', 'KEY', 'PROFILE', 'GROUPS', 'FROM'];
  const rows = inventory.nodes.map(row);
  // A loop, not Math.max(...column): spreading 200,000 rows as arguments overflows the stack.
  const widths = header.map((h, i) => rows.reduce((widest, r) => Math.max(widest, (r[i] ?? '').length), h.length));
  const format = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  lines.push(format(header));
  inventory.nodes.forEach((node, index) => {
    lines.push(format(rows[index] ?? []));
    if (node.sshHost !== undefined) lines.push(`  ssh goes to ${node.sshHost}${viaConfig(node)}`);
  });
  return `${lines.join('\n')}\n`;
}

function row(node: NodeSpec): string[] {
  return [
    node.name,
    node.addresses.join(','),
    node.user ?? '-',
    node.port === undefined ? '-' : String(node.port),
    node.key ?? '-',
    node.profile,
    (node.groups ?? []).join(',') || '-',
    node.from.line > 0 ? `${node.from.file}:${node.from.line}` : node.from.file,
  ];
}

function viaConfig(node: NodeSpec): string {
  const r = node.sshResolved;
  if (r === undefined) return ' (ssh_config Host alias)';
  return ` (ssh_config Host alias; ssh -G: hostname ${r.hostname}${r.user === undefined ? '' : `, user ${r.user}`}${r.port === undefined ? '' : `, port ${r.port}`})`;
}
