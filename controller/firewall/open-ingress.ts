/**
 * --open-firewall (the update manager's open_firewall, for the controller): accept exactly this run's
 * listener ports, in a chain twoway owns, and always take it away again.
 *
 * nftables: an accept in a table of our own would not help, because every base chain at the input
 * hook must accept a packet. So in each table that has an input base chain we add our own chain,
 * `twoway_open_<pid>`, that accepts the ports, and insert one jump to it at the top of that base
 * chain. iptables (where nft is absent): chain TWOWAY_OPEN_<pid>, jumped to from the top of INPUT.
 * The pid in the name tells a crashed run's leftovers (pid gone) from a live run's.
 * Everything here is synchronous so it can also run in a process 'exit' handler.
 */
import { readFileSync } from 'node:fs';
import { SetupError } from '../../src/errors.js';
import { inputBaseChains, parseNftJson, type NftRuleset } from './nft-eval.js';
import { run } from './host.js';
import { iptablesPorts, nftPorts } from '../remedy/port-sets.js';

const NFT_CHAIN = /^twoway_open_(\d+)$/;
const IPT_CHAIN = /^TWOWAY_OPEN_(\d+)$/;
const COMMENT = 'twoway open-firewall';

export interface IngressOpening {
  tool: 'nft' | 'iptables' | 'none';
  ports: number[];
  /** Where the accept was hooked in: "inet filter input", or "INPUT". */
  hookedInto: string[];
  /** Removes what was added; idempotent, synchronous. Returns what it removed. */
  close(): string[];
}

/** A run is alive while its process is; a zombie (killed, not yet reaped: orphans may linger under a container's init) is not. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) state ..."; comm may contain spaces and parentheses, so split at the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function nftRuleset(): NftRuleset | undefined {
  const out = run('nft', ['-j', 'list', 'ruleset']);
  if (out.missing) return undefined;
  if (out.code !== 0) throw new SetupError(`--open-firewall: nft list ruleset failed: ${out.stderr.trim()}`);
  return parseNftJson(out.stdout);
}

function nftApply(script: string, what: string): void {
  const out = run('nft', ['-f', '-'], script);
  if (out.code !== 0) throw new SetupError(`--open-firewall: ${what} failed: ${out.stderr.trim()} (script:\n${script})`);
}

/** Removes our chains (and the jumps to them) whose owner matches; returns "family table chain" of each. */
function removeNftChains(ruleset: NftRuleset, owned: (pid: number) => boolean): string[] {
  const ours = ruleset.chains.filter((c) => {
    const m = NFT_CHAIN.exec(c.chain);
    return m !== null && owned(Number(m[1]));
  });
  if (ours.length === 0) return [];
  const lines: string[] = [];
  for (const c of ours) {
    const jumps = ruleset.rules.filter(
      (r) => r.family === c.family && r.table === c.table && (r.expr as Record<string, { target?: string }>[]).some((e) => e.jump?.target === c.chain),
    );
    for (const j of jumps) lines.push(`delete rule ${c.family} ${c.table} ${j.chain} handle ${j.handle}`);
  }
  for (const c of ours) lines.push(`flush chain ${c.family} ${c.table} ${c.chain}`, `delete chain ${c.family} ${c.table} ${c.chain}`);
  nftApply(`${lines.join('\n')}\n`, 'removing the twoway chain');
  return ours.map((c) => `${c.family} ${c.table} ${c.chain}`);
}

function iptablesChains(tool: 'iptables' | 'ip6tables'): string[] {
  const out = run(tool, ['-w', '-S']);
  if (out.missing || out.code !== 0) return [];
  return out.stdout.split('\n').flatMap((l) => /^-N (\S+)$/.exec(l)?.[1] ?? []).filter((c) => IPT_CHAIN.test(c));
}

function removeIptablesChains(owned: (pid: number) => boolean): string[] {
  const removed: string[] = [];
  for (const tool of ['iptables', 'ip6tables'] as const) {
    for (const chain of iptablesChains(tool).filter((c) => owned(Number(IPT_CHAIN.exec(c)![1])))) {
      // -D removes one jump per call; there is one, but loop (bounded) in case a run was doubled.
      for (let i = 0; i < 8 && run(tool, ['-w', '-D', 'INPUT', '-j', chain]).code === 0; i++);
      run(tool, ['-w', '-F', chain]);
      run(tool, ['-w', '-X', chain]);
      removed.push(`${tool} ${chain}`);
    }
  }
  return removed;
}

/** Leftovers of runs that died without cleaning up (their pid is gone). Returns what was removed. */
export function removeStaleOpenings(): string[] {
  const stale = (pid: number): boolean => !alive(pid);
  const ruleset = nftRuleset();
  return ruleset === undefined ? removeIptablesChains(stale) : removeNftChains(ruleset, stale);
}

export function openIngress(ports: readonly number[], pid = process.pid): IngressOpening {
  const list = [...new Set(ports)].sort((a, b) => a - b);
  const mine = (p: number): boolean => p === pid;
  const ruleset = nftRuleset();
  let closed = false;
  const once = (fn: () => string[]) => (): string[] => {
    if (closed) return [];
    closed = true;
    return fn();
  };

  if (ruleset !== undefined) {
    const chain = `twoway_open_${pid}`;
    const bases = [...inputBaseChains(ruleset, 'ip'), ...inputBaseChains(ruleset, 'ip6')].filter((c, i, all) => all.findIndex((x) => x.family === c.family && x.table === c.table && x.chain === c.chain) === i);
    const tables = [...new Set(bases.map((b) => `${b.family} ${b.table}`))];
    if (tables.length > 0) {
      const lines = tables.flatMap((t) => [`add chain ${t} ${chain}`, `add rule ${t} ${chain} tcp dport { ${nftPorts(list)} } accept comment "${COMMENT}"`]);
      lines.push(...bases.map((b) => `insert rule ${b.family} ${b.table} ${b.chain} jump ${chain} comment "${COMMENT}"`));
      nftApply(`${lines.join('\n')}\n`, 'opening the listener ports');
    }
    return {
      tool: tables.length > 0 ? 'nft' : 'none',
      ports: list,
      hookedInto: bases.map((b) => `${b.family} ${b.table} ${b.chain}`),
      close: once(() => {
        const now = nftRuleset();
        return now === undefined ? [] : removeNftChains(now, mine);
      }),
    };
  }

  const ipt = run('iptables', ['-w', '-S', 'INPUT']);
  if (ipt.missing) throw new SetupError('--open-firewall needs nft or iptables on the controller; neither is installed');
  const chain = `TWOWAY_OPEN_${pid}`;
  const hooked: string[] = [];
  const opening: IngressOpening = { tool: 'iptables', ports: list, hookedInto: hooked, close: once(() => removeIptablesChains(mine)) };
  for (const tool of ['iptables', 'ip6tables'] as const) {
    if (run(tool, ['-w', '-S', 'INPUT']).code !== 0) continue;
    const steps = [
      ['-N', chain],
      ['-A', chain, '-p', 'tcp', '-m', 'multiport', '--dports', iptablesPorts(list), '-m', 'comment', '--comment', COMMENT, '-j', 'ACCEPT'],
      ['-I', 'INPUT', '1', '-j', chain],
    ];
    for (const step of steps) {
      const out = run(tool, ['-w', ...step]);
      if (out.code !== 0) {
        opening.close();
        throw new SetupError(`--open-firewall: ${tool} ${step.join(' ')} failed: ${out.stderr.trim()}`);
      }
    }
    hooked.push(`${tool} INPUT`);
  }
  return opening;
}
