/**
 * `--limit PATTERN`, as Ansible writes it: terms separated by "," (or ":" when the pattern has no
 * comma), each a node name, a group name, "all", a glob (`web*`, `db-?`) or a regular expression
 * (`~web0[1-3]`); `!term` removes, `&term` keeps only what also matches. Plain terms are joined
 * first, then intersected, then removed, whatever order they are written in.
 * A term that matches nothing is an error listing what exists, so a typo cannot narrow a run to
 * nothing or to the wrong nodes unnoticed.
 */
import { InputError } from '../errors.js';
import type { NodeSpec } from './types.js';

const FIELD = '--limit';
const LIST_AT_MOST = 30;

interface Term {
  op: 'add' | 'and' | 'not';
  text: string;
}

export function applyLimit(nodes: readonly NodeSpec[], pattern: string): NodeSpec[] {
  const terms = splitTerms(pattern, nodes);
  if (terms.length === 0) throw new InputError(`expected node or group names, found ${JSON.stringify(pattern)}`, { field: FIELD });
  const matchers = terms.map((term) => ({ term, matches: new Set(nodes.filter(matcherFor(term.text)).map((n) => n.name)) }));
  const empty = matchers.find((m) => m.matches.size === 0);
  if (empty !== undefined) throw new InputError(`"${empty.term.text}" matches no node or group. ${whatExists(nodes)}`, { field: FIELD });

  const adds = matchers.filter((m) => m.term.op === 'add');
  const selected = new Set(adds.length === 0 ? nodes.map((n) => n.name) : adds.flatMap((m) => [...m.matches]));
  for (const m of matchers) {
    if (m.term.op === 'and') for (const name of [...selected]) if (!m.matches.has(name)) selected.delete(name);
    if (m.term.op === 'not') for (const name of m.matches) selected.delete(name);
  }
  const kept = nodes.filter((n) => selected.has(n.name));
  if (kept.length === 0) throw new InputError(`${JSON.stringify(pattern)} leaves no node to test (its exclusions and intersections remove every match)`, { field: FIELD });
  return kept;
}

/** A name that contains ":" (IPv6, host:port) is one term, not two. */
function splitTerms(pattern: string, nodes: readonly NodeSpec[]): Term[] {
  const whole = pattern.trim();
  const parts = whole.includes(',') || nodes.some((n) => n.name === whole.replace(/^[!&]/, '')) ? whole.split(',') : whole.split(':');
  return parts
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => (part.startsWith('!') ? { op: 'not', text: part.slice(1) } : part.startsWith('&') ? { op: 'and', text: part.slice(1) } : { op: 'add', text: part }));
}

function matcherFor(text: string): (node: NodeSpec) => boolean {
  if (text === 'all' || text === '*') return () => true;
  const test = text.startsWith('~') ? regexTest(text.slice(1)) : /[*?]/.test(text) ? globTest(text) : (name: string) => name === text;
  return (node) => test(node.name) || (node.groups ?? []).some(test);
}

function regexTest(source: string): (name: string) => boolean {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    throw new InputError(`"~${source}" is not a valid regular expression (${(err as Error).message})`, { field: FIELD });
  }
  // Ansible matches a regex from the start of the name.
  return (name) => re.exec(name)?.index === 0;
}

function globTest(glob: string): (name: string) => boolean {
  const source = [...glob].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+(){}[\]]/g, '\\$&'))).join('');
  const re = new RegExp(`^${source}$`);
  return (name) => re.test(name);
}

function whatExists(nodes: readonly NodeSpec[]): string {
  const groups = [...new Set(nodes.flatMap((n) => n.groups ?? []))].sort();
  return `Nodes: ${listed(nodes.map((n) => n.name))}. Groups: ${groups.length === 0 ? '(none)' : listed(groups)}.`;
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, LIST_AT_MOST).join(', ');
  return names.length > LIST_AT_MOST ? `${shown}, ... (${names.length} in all)` : shown;
}
