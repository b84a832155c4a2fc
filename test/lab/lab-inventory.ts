/** The lab tests' one way to test a few lab nodes: the lab's own inventory, cut down. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { AgentFlavour } from '../../src/agent-flavours.js';

/** A lab node by name, or taken under another name, profile or agent runtime (SSH still finds it by address). */
export type LabNodePick = string | { from: string; name?: string; profile?: string; runtime?: AgentFlavour };

/**
 * Writes the lab inventory with only the picked nodes into `dir` and returns its path; the
 * ssh_config path is made absolute, since the copy lives elsewhere, or replaced by `sshConfig`.
 */
export function labInventoryOf(labInventory: string, dir: string, picks: readonly LabNodePick[], sshConfig?: string): string {
  const doc = parse(readFileSync(labInventory, 'utf8')) as { ssh_config: string; nodes: { name: string; profile?: string }[] };
  doc.ssh_config = sshConfig ?? resolve(dirname(labInventory), doc.ssh_config);
  doc.nodes = picks.map((pick) => {
    const { from, name, profile, runtime } = typeof pick === 'string' ? { from: pick, name: undefined, profile: undefined, runtime: undefined } : pick;
    const node = doc.nodes.find((n) => n.name === from);
    assert.ok(node, `lab node ${from} in ${labInventory}`);
    return { ...node, name: name ?? from, ...(profile === undefined ? {} : { profile }), ...(runtime === undefined ? {} : { runtime }) };
  });
  const file = join(dir, `inventory-${doc.nodes.map((n) => n.name).join('-')}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
}
