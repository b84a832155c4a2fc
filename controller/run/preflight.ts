/**
 * Preflight: the controller's side, checked before any SSH. Are the listener ports free (and if not,
 * who holds them)? Are the callback addresses on this host? Would this host's own firewall let
 * callbacks in (and if not, the rule to add)? `twoway preflight` runs only this; `twoway run` runs it
 * first and stops on a port or address problem (the run could not listen), warns on the firewall.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseProcNetListeners } from '../../src/proc-net-tcp.js';
import { allPids, cmdline } from '../host/procfs.js';
import { ingressFix, judgePorts, nftRuleText, readHostFirewall, type PortVerdict } from '../firewall/host.js';
import { hostPort } from '../../src/endpoint.js';

export interface PreflightInput {
  /** Addresses the listeners bind to, and the ports. */
  listen: readonly string[];
  ports: readonly number[];
  /** The controller addresses nodes will call back to. */
  callbackAddresses: readonly string[];
  /** The nodes' addresses: the sources the firewall is judged for. */
  sources: readonly string[];
  /** --open-firewall: a blocking firewall will be opened for the run. */
  openFirewall: boolean;
}

export interface PreflightItem {
  check: 'port' | 'address' | 'firewall';
  /** fail: the run cannot work (exit 2); warn: the run goes on and will show the effect. */
  status: 'ok' | 'warn' | 'fail';
  text: string;
  fix?: string[];
}

/** Which process listens on this TCP port, from /proc (this network namespace's sockets). */
export function portHolder(port: number): string | undefined {
  const inodes = new Set<string>();
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    try {
      for (const l of parseProcNetListeners(readFileSync(file, 'utf8'), v6)) if (l.local.port === port) inodes.add(l.inode);
    } catch {
      // No IPv6, or no /proc: the holder stays unnamed.
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) {
        try {
          const args = cmdline(pid);
          // undefined: it exited as we looked; '' is a kernel thread, known by its comm.
          if (args === undefined) return `pid ${pid}`;
          return `pid ${pid} (${args.slice(0, 120) || readFileSync(`/proc/${pid}/comm`, 'utf8').trim()})`;
        } catch {
          return `pid ${pid}`; // it exited as we looked
        }
      }
    }
  }
  return 'a process this user cannot see';
}

async function checkPort(address: string, port: number): Promise<PreflightItem> {
  const where = hostPort(address, port);
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const server = createServer();
    server.once('error', (err) => resolve(err));
    server.listen({ port, host: address, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
  if (error === undefined) return { check: 'port', status: 'ok', text: `${where} is free` };
  if (error.code === 'EADDRINUSE') {
    const holder = portHolder(port);
    return { check: 'port', status: 'fail', text: `${where} is in use${holder === undefined ? '' : ` by ${holder}`}`, fix: [`stop it, or give twoway other ports (--port/--ssl-port; the update manager's /port and /ssl_port must then match)`] };
  }
  if (error.code === 'EACCES') return { check: 'port', status: 'fail', text: `${where}: binding a port below 1024 needs root (or CAP_NET_BIND_SERVICE)` };
  if (error.code === 'EADDRNOTAVAIL') return { check: 'port', status: 'fail', text: `${where}: ${address} is not an address of this host` };
  return { check: 'port', status: 'fail', text: `${where}: ${error.code ?? error.message}` };
}

function hostAddresses(): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
}

function describeFirewall(v: PortVerdict, input: PreflightInput): PreflightItem {
  const who = v.sources.length === 0 ? '' : ` from ${v.sources.length === input.sources.length ? 'every node' : v.sources.join(', ')}`;
  const verdict = v.verdict;
  switch (verdict.kind) {
    case 'accepted':
      return { check: 'firewall', status: 'ok', text: `port ${v.port}: this host's firewall lets callbacks in${who}` };
    case 'not-evaluated':
      return { check: 'firewall', status: 'warn', text: `port ${v.port}: firewall not evaluated (${verdict.why})` };
    case 'unknown':
      return {
        check: 'firewall',
        status: 'warn',
        text: `port ${v.port}: cannot tell${who}: ${verdict.reason}: "${nftRuleText(verdict.by)}" (${verdict.by.family} ${verdict.by.table} ${verdict.by.chain})`,
      };
    case 'blocked': {
      const by = verdict.rule === undefined ? `the policy ${verdict.action} of chain ${verdict.by.family} ${verdict.by.table} ${verdict.by.chain}` : `"${nftRuleText(verdict.rule)}" (${verdict.by.family} ${verdict.by.table} ${verdict.by.chain})`;
      if (input.openFirewall) return { check: 'firewall', status: 'ok', text: `port ${v.port}: ${verdict.action === 'drop' ? 'dropped' : 'rejected'} by ${by}${who}; --open-firewall opens it for this run` };
      return {
        check: 'firewall',
        status: 'warn',
        text: `port ${v.port}: this host's firewall ${verdict.action === 'drop' ? 'drops' : 'rejects'} callbacks${who}, by ${by}`,
        fix: ingressFix(input.ports, verdict.by),
      };
    }
  }
}

export async function runPreflight(input: PreflightInput): Promise<PreflightItem[]> {
  const items: PreflightItem[] = [];
  const present = hostAddresses();
  const wildcard = (a: string): boolean => a === '0.0.0.0' || a === '::';
  for (const address of input.callbackAddresses) {
    items.push(
      present.has(address)
        ? { check: 'address', status: 'ok', text: `callback address ${address} is on this host` }
        : { check: 'address', status: 'fail', text: `callback address ${address} is not on this host: nodes would call back to someone else`, fix: ['give --callback-address with one of: ' + [...present].filter((a) => !a.startsWith('127.') && a !== '::1').join(', ')] },
    );
  }
  for (const address of input.listen) {
    if (!wildcard(address) && !present.has(address)) continue; // reported above, or below as not on this host
    for (const port of input.ports) items.push(await checkPort(address, port));
  }
  for (const address of input.listen.filter((a) => !wildcard(a) && !present.has(a) && !input.callbackAddresses.includes(a))) {
    items.push({ check: 'address', status: 'fail', text: `listen address ${address} is not on this host` });
  }
  const firewall = readHostFirewall();
  for (const verdict of judgePorts(firewall, input.ports, input.sources)) items.push(describeFirewall(verdict, input));
  return items;
}

export function renderPreflight(items: readonly PreflightItem[]): string {
  const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
  return items
    .map((i) => `  ${mark[i.status]} ${i.check.padEnd(8)} ${i.text}${(i.fix ?? []).map((f) => `\n         fix: ${f}`).join('')}`)
    .join('\n');
}
