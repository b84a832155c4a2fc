/**
 * The plain host list (one `[user@]host[:port]` per line, `#` comments) and the repeated `--node`
 * flags: both are lists of host specs that become nodes with the default profile.
 */
import { InputError } from '../errors.js';
import { formatHostPort, parseHostSpec, type HostSpec } from './hostspec.js';
import type { NodeSpec, SourceRef } from './types.js';

export interface LocatedHostSpec {
  spec: HostSpec;
  from: SourceRef;
  field: string;
}

export const HOST_LIST_FIELD = 'host';

export function hostSpecsFromList(text: string, file: string): LocatedHostSpec[] {
  const specs: LocatedHostSpec[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const entry = withoutComment(rawLine).trim();
    if (entry === '') return;
    const where = { file, line: index + 1, field: HOST_LIST_FIELD };
    specs.push({ spec: parseHostSpec(entry, where), from: { file, line: where.line }, field: where.field });
  });
  if (specs.length === 0) {
    throw new InputError('no hosts found; expected one [user@]host[:port] per line', { file, line: 1, field: HOST_LIST_FIELD });
  }
  return specs;
}

function withoutComment(line: string): string {
  const hash = line.indexOf('#');
  return hash < 0 ? line : line.slice(0, hash);
}

/**
 * Names each node after its host. A host listed more than once (different ports: several SSH
 * servers, or port forwards to several machines) is named host:port instead, so names stay unique
 * without the user having to invent them; the same host and port twice is an error.
 */
export function nodesFromHostSpecs(entries: readonly LocatedHostSpec[], profile: string): NodeSpec[] {
  const timesListed = countBy(entries, (entry) => entry.spec.address.toLowerCase());
  const firstByName = new Map<string, LocatedHostSpec>();
  return entries.map((entry) => {
    const { user, address, port } = entry.spec;
    const name = (timesListed.get(address.toLowerCase()) ?? 0) > 1 ? formatHostPort(address, port) : address;
    const earlier = firstByName.get(name.toLowerCase());
    if (earlier !== undefined) {
      throw new InputError(`duplicate host "${name}": the same host and port is already listed ${describeOrigin(earlier.from)}`, {
        file: entry.from.file,
        line: entry.from.line,
        field: entry.field,
      });
    }
    firstByName.set(name.toLowerCase(), entry);
    return {
      name,
      addresses: [address],
      ...(user === undefined ? {} : { user }),
      ...(port === undefined ? {} : { port }),
      profile,
      from: entry.from,
    };
  });
}

function describeOrigin(from: SourceRef): string {
  return from.line > 0 ? `on line ${from.line}` : `by an earlier ${from.file}`;
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}
