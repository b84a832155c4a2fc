/**
 * Port lists as firewall rules write them: consecutive ports as one range, so a listener's ports plus
 * an FTP passive range stay within iptables multiport's limit (15 entries, a range counting two).
 */

/** Sorted, deduplicated, consecutive ports merged: [[first, last], ...]. */
export function portRuns(ports: readonly number[]): [number, number][] {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const p of sorted) {
    const last = runs.at(-1);
    if (last !== undefined && p === last[1] + 1) last[1] = p;
    else runs.push([p, p]);
  }
  return runs;
}

/** `63001:63002,21` for `-m multiport --dports`. */
export function iptablesPorts(ports: readonly number[]): string {
  return portRuns(ports).map(([a, b]) => (a === b ? String(a) : `${a}:${b}`)).join(',');
}

/** `21, 63001-63002` for an nft anonymous set `{ ... }`. */
export function nftPorts(ports: readonly number[]): string {
  return portRuns(ports).map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(', ');
}
