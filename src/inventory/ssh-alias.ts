/**
 * Nodes named by an ssh_config Host alias (`Host web1` with `HostName 10.0.0.5`, in the -F file or
 * ~/.ssh/config). The controller needs the real address (its callback address is picked from the
 * route to it, and forward probes go there), so each host-name address is asked of `ssh -G`, which
 * prints the configuration ssh would use without connecting. When ssh maps the name elsewhere, the
 * node's address becomes the resolved one while SSH is still given the alias (`sshHost`), so the
 * operator's config (ProxyJump, keys, options) applies as it does for their own ssh.
 */
import { execFile } from 'node:child_process';
import pLimit from 'p-limit';
import { InputError } from '../errors.js';
import type { NodeSpec, SshResolved } from './types.js';
import { addressProblem, isIpAddress, portFromText } from './validate.js';

export interface SshAliasOptions {
  /** ssh -F file; otherwise ssh reads ~/.ssh/config. */
  configFile?: string;
  concurrency?: number;
  timeoutMs?: number;
}

const DEFAULT_CONCURRENCY = 8;
const DEFAULT_TIMEOUT_MS = 5_000;

export async function resolveSshAliases(nodes: readonly NodeSpec[], options: SshAliasOptions = {}): Promise<NodeSpec[]> {
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  return Promise.all(nodes.map((node) => limit(() => resolveNode(node, options))));
}

async function resolveNode(node: NodeSpec, options: SshAliasOptions): Promise<NodeSpec> {
  const [first, ...rest] = node.addresses;
  if (first === undefined || node.sshHost !== undefined || isIpAddress(first)) return node;
  const resolved = parseSshG(await sshG(first, node, options));
  if (resolved.hostname.toLowerCase() === first.toLowerCase()) return node;
  const problem = addressProblem(resolved.hostname);
  if (problem !== undefined) {
    throw new InputError(`ssh -G ${first} gives HostName ${JSON.stringify(resolved.hostname)} (${problem})`, {
      file: options.configFile ?? '~/.ssh/config',
      field: 'HostName',
    });
  }
  return { ...node, addresses: [resolved.hostname, ...rest.filter((a) => a !== resolved.hostname)], sshHost: first, sshResolved: resolved };
}

function sshG(alias: string, node: NodeSpec, options: SshAliasOptions): Promise<string> {
  const args = ['-G', ...(options.configFile === undefined ? [] : ['-F', options.configFile]), '--', alias];
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const where = { file: node.from.file, ...(node.from.line > 0 ? { line: node.from.line } : {}), field: 'ssh_config' };
  return new Promise((resolve, reject) => {
    execFile('ssh', args, { timeout, maxBuffer: 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err === null) return resolve(stdout);
      const why = err.killed ? `it did not answer within ${timeout / 1000} s` : (stderr.trim().split('\n').filter((l) => !/Pseudo-terminal/.test(l)).pop() || err.message);
      reject(new InputError(`node "${node.name}": ssh -G ${args.slice(1).join(' ')} failed: ${why}`, where, { cause: err }));
    });
  });
}

/** `ssh -G` prints one `keyword value` per line, keywords in lower case. */
export function parseSshG(output: string): SshResolved {
  const values = new Map<string, string[]>();
  for (const line of output.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space);
    values.set(key, [...(values.get(key) ?? []), line.slice(space + 1).trim()]);
  }
  const hostname = values.get('hostname')?.[0] ?? '';
  const user = values.get('user')?.[0];
  const port = portFromText(values.get('port')?.[0] ?? '');
  return {
    hostname,
    ...(user === undefined ? {} : { user }),
    ...(port === undefined ? {} : { port }),
    identityFiles: values.get('identityfile') ?? [],
  };
}
