/**
 * The controller host's firewall as tools see it: nftables (read as JSON), or iptables where nft is
 * absent. Reading only; opening is open-ingress.ts.
 */
import { spawnSync } from 'node:child_process';
import { judgeIngress, parseNftJson, type IngressVerdict, type NftRuleRef, type NftRuleset } from './nft-eval.js';
import { controllerIngress } from '../remedy/controller-side.js';

/**
 * nft sees nftables only: rules loaded by iptables-legacy (older distributions, some container
 * hosts) live beside them, so they are read too (`legacyInput`, when INPUT has any rule or policy).
 */
export type HostFirewall = { tool: 'nft'; ruleset: NftRuleset; legacyInput?: string } | { tool: 'iptables'; rules: string } | { tool: 'none'; why: string };

/** iptables-legacy's INPUT chain when it does anything (a rule, or a policy other than ACCEPT). */
function legacyInput(): string | undefined {
  const out = run('iptables-legacy', ['-S', 'INPUT']);
  if (out.missing || out.code !== 0) return undefined;
  return out.stdout.split('\n').some((l) => l.startsWith('-A ') || /^-P INPUT (DROP|REJECT)/.test(l)) ? out.stdout.trim() : undefined;
}

export function run(command: string, args: readonly string[], input?: string): { code: number | null; stdout: string; stderr: string; missing: boolean } {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000, ...(input === undefined ? {} : { input }) });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error?.message ?? ''), missing };
}

export function readHostFirewall(): HostFirewall {
  const nft = run('nft', ['-j', 'list', 'ruleset']);
  if (!nft.missing) {
    if (nft.code === 0) {
      const legacy = legacyInput();
      return { tool: 'nft', ruleset: parseNftJson(nft.stdout), ...(legacy === undefined ? {} : { legacyInput: legacy }) };
    }
    return { tool: 'none', why: `nft list ruleset failed: ${nft.stderr.trim() || `exit ${nft.code}`}` };
  }
  const ipt = run('iptables', ['-S', 'INPUT']);
  if (!ipt.missing && ipt.code === 0) return { tool: 'iptables', rules: ipt.stdout };
  return { tool: 'none', why: ipt.missing ? 'neither nft nor iptables is installed' : `iptables -S failed: ${ipt.stderr.trim()}` };
}

/** The rule as `nft -a list chain` prints it, for messages (the JSON form is not for people). */
export function nftRuleText(ref: NftRuleRef): string {
  const out = run('nft', ['-a', 'list', 'chain', ref.family, ref.table, ref.chain]);
  const line = out.stdout.split('\n').find((l) => l.trimEnd().endsWith(`# handle ${ref.handle}`));
  return line === undefined ? `handle ${ref.handle}` : line.replace(/\s*# handle \d+\s*$/, '').trim();
}

export interface PortVerdict {
  port: number;
  verdict: IngressVerdict | { kind: 'not-evaluated'; why: string };
  /** The sources the verdict holds for (node addresses), or empty for "any source". */
  sources: string[];
}

/** Per listener port: would a new callback from each node address get in? Sources that agree are grouped. */
export function judgePorts(firewall: HostFirewall, ports: readonly number[], sources: readonly string[]): PortVerdict[] {
  if (firewall.tool !== 'nft') {
    const why = firewall.tool === 'iptables' ? 'iptables rules are listed, not evaluated (nft is absent)' : firewall.why;
    return ports.map((port) => ({ port, verdict: { kind: 'not-evaluated', why }, sources: [] }));
  }
  const out: PortVerdict[] = [];
  for (const port of ports) {
    const list = sources.length > 0 ? sources : [undefined];
    const groups = new Map<string, PortVerdict>();
    for (const source of list) {
      const family = source?.includes(':') ? 'ip6' : 'ip';
      const judged = judgeIngress(firewall.ruleset, { port, family, ...(source === undefined ? {} : { source }) });
      // nftables lets it in, but iptables-legacy's INPUT may still stop it: not evaluated, never "ok".
      const verdict: PortVerdict['verdict'] =
        judged.kind === 'accepted' && firewall.legacyInput !== undefined
          ? { kind: 'not-evaluated', why: `nftables accepts it, but iptables-legacy has INPUT rules this check does not evaluate (iptables-legacy -S INPUT)` }
          : judged;
      const key = JSON.stringify(verdict);
      const group = groups.get(key) ?? { port, verdict, sources: [] };
      if (source !== undefined) group.sources.push(source);
      groups.set(key, group);
    }
    out.push(...groups.values());
  }
  return out;
}

/** The rule to add so callbacks get in, for each tool an operator may be using. */
export function ingressFix(ports: readonly number[], blockedIn?: { family: string; table: string; chain: string }): string[] {
  return [
    ...controllerIngress(ports, blockedIn).lines,
    '(or run twoway with --open-firewall: it opens exactly these ports for the run and removes the rule after)',
  ];
}
