/**
 * The kernel mechanisms behind the scenarios and lab-wide faults: nftables tables (one `inet
 * twoway_lab` per namespace that filters; one table per lab-wide fault, so toggling it never
 * touches the scenarios) and tc qdiscs on the router.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../../src/errors.js';
import { CTL_NETNS, NFT_TABLE, RTR_NETNS, nodeNetns, routerIface } from './plan.js';
import type { LabScenario, NftHook, NftRules } from './scenarios-model.js';
import { LAB_FAULTS, type LabFault, findFault } from './scenarios-faults.js';
import type { LabPaths } from './state.js';
import { runIn, tryRunIn } from './run.js';
import { writeSysctls } from './topology.js';

const CHAIN_TYPES: Record<NftHook, string> = {
  prerouting: 'type filter hook prerouting priority filter; policy accept;',
  input: 'type filter hook input priority filter; policy accept;',
  output: 'type filter hook output priority filter; policy accept;',
  forward: 'type filter hook forward priority filter; policy accept;',
  postrouting: 'type nat hook postrouting priority srcnat; policy accept;',
};
const HOOK_ORDER: readonly NftHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
const OBJECT_NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** Rules from one source (a scenario or a fault), tagged with its name as the rule comment. */
interface TaggedRules {
  tag: string;
  rules: NftRules;
}

/** One nftables script defining `table inet <table>`: its named objects, then a chain per hook that has rules. */
export function renderNftTable(table: string, sources: readonly TaggedRules[]): string {
  const lines = [`table inet ${table} {`];
  const objects = new Set<string>();
  for (const src of sources) {
    for (const [name, t] of Object.entries(src.rules.ctTimeouts ?? {})) {
      if (!OBJECT_NAME.test(name)) throw new LabError(`ct timeout name "${name}" (${src.tag}) must be lower-case letters, digits and _`);
      if (objects.has(name)) throw new LabError(`ct timeout "${name}" is defined twice in table ${table} (again by ${src.tag})`);
      objects.add(name);
      const policy = Object.entries(t.policy).map(([state, seconds]) => `${state}: ${seconds}`).join(', ');
      lines.push(`  ct timeout ${name} {`, `    protocol ${t.protocol};`, `    l3proto ${t.l3proto};`, `    policy = { ${policy} };`, '  }');
    }
  }
  for (const hook of HOOK_ORDER) {
    const rules = sources.flatMap((src) => (src.rules[hook] ?? []).map((r) => `${r} comment "${src.tag}"`));
    if (rules.length === 0) continue;
    lines.push(`  chain ${hook} {`, `    ${CHAIN_TYPES[hook]}`, ...rules.map((r) => `    ${r}`), '  }');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Writes the script into the state directory (so it can be read afterwards) and loads it. */
async function loadNft(paths: LabPaths, netns: string, name: string, script: string): Promise<void> {
  const file = join(paths.nftDir, `${name}.nft`);
  writeFileSync(file, script);
  await runIn(netns, 'nft', ['-f', file]);
}

/** Every scenario's firewall rules, router shaping and MTU-independent mechanisms. */
export async function applyScenarioMechanisms(scenarios: readonly LabScenario[], paths: LabPaths): Promise<void> {
  const nodeTables = scenarios
    .filter((s) => s.nodeNft !== undefined)
    .map((s) => loadNft(paths, nodeNetns(s.node), nodeNetns(s.node), renderNftTable(NFT_TABLE, [{ tag: s.node, rules: s.nodeNft ?? {} }])));
  await Promise.all(nodeTables);

  const routerSources = scenarios.filter((s) => s.routerNft !== undefined).map((s) => ({ tag: s.node, rules: s.routerNft ?? {} }));
  if (routerSources.length > 0) await loadNft(paths, RTR_NETNS, RTR_NETNS, renderNftTable(NFT_TABLE, routerSources));

  // After the readiness check: strict rp_filter is what cuts the dual node's management address off.
  const sysctls = scenarios.flatMap((s) =>
    Object.entries(s.routerIfaceSysctls ?? {}).flatMap(([iface, values]) =>
      Object.entries(values).map(([key, value]): [string, string] => [`net/ipv4/conf/${iface}/${key}`, value]),
    ),
  );
  await writeSysctls(RTR_NETNS, sysctls);

  for (const s of scenarios) {
    for (const link of s.links) {
      if (link.routerQdisc === undefined) continue;
      await runIn(RTR_NETNS, 'tc', ['qdisc', 'add', 'dev', routerIface(link.n), 'root', ...link.routerQdisc]);
    }
  }
}

function faultTable(fault: LabFault): string {
  return `twoway_fault_${fault.name.replace(/[^a-z0-9]/g, '_')}`;
}

function faultNetns(fault: LabFault): string {
  switch (fault.netns) {
    case 'ctl':
      return CTL_NETNS;
    case 'rtr':
      return RTR_NETNS;
  }
}

async function tablesIn(netns: string): Promise<string[] | undefined> {
  const result = await tryRunIn(netns, 'nft', ['list', 'tables']);
  if (result.code !== 0) return undefined;
  return result.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

export async function isFaultActive(fault: LabFault): Promise<boolean> {
  const tables = await tablesIn(faultNetns(fault));
  return tables !== undefined && tables.includes(`table inet ${faultTable(fault)}`);
}

export async function activeFaults(): Promise<string[]> {
  const active: string[] = [];
  for (const fault of LAB_FAULTS) if (await isFaultActive(fault)) active.push(fault.name);
  return active;
}

/** Turns a lab-wide fault on or off; returns whether anything changed. */
export async function toggleFault(paths: LabPaths, name: string, on: boolean): Promise<boolean> {
  const fault = findFault(name);
  if (fault === undefined) throw new LabError(`unknown lab fault "${name}"; known: ${LAB_FAULTS.map((f) => f.name).join(', ')}`);
  const netns = faultNetns(fault);
  const tables = await tablesIn(netns);
  if (tables === undefined) throw new LabError(`the lab is not up (namespace ${netns} is missing); run "twoway lab up" first`);
  const active = tables.includes(`table inet ${faultTable(fault)}`);
  if (active === on) return false;
  if (on) await loadNft(paths, netns, `fault-${fault.name}`, renderNftTable(faultTable(fault), [{ tag: fault.name, rules: fault.nft }]));
  else await runIn(netns, 'nft', ['delete', 'table', 'inet', faultTable(fault)]);
  return true;
}
