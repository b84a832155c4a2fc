/**
 * Reading a JSON report back (a baseline, a history entry, an argument of `twoway diff`). Checks the
 * version, the fields a comparison relies on and the evidence the renderers print; evidence from
 * before it carried a kind is mapped (src/report-evidence.ts), anything else is kept as it is. A bad
 * file is an InputError naming the file, the line and the field (e.g. `nodes[2].paths[0].verdict`).
 */
import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';
import { parseJsonLocated } from './inventory/json-located.js';
import type { Located } from './inventory/located.js';
import { PATH_PROTOS, REPORT_VERSION, type Report } from './report.js';
import { nodeEvidenceOf, nodeEvidenceProblem, pathEvidenceOf, pathEvidenceProblem, type EvidenceProblem } from './report-evidence.js';
import { NODE_KINDS, PATH_KINDS, VERDICT_KINDS } from './verdicts.js';

type Segment = string | number;

interface Problem {
  at: Segment[];
  message: string;
}

const HINT = 'expected a twoway JSON report (twoway run --json, or a --history file)';

function fieldName(at: readonly Segment[]): string {
  return at.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first problem with the fields a diff reads, or undefined. */
function reportProblem(doc: unknown): Problem | undefined {
  const expect = (ok: boolean, at: Segment[], what: string, value: unknown): Problem | undefined =>
    ok ? undefined : { at, message: `expected ${what}, found ${describe(value)}` };
  const oneOf = (kinds: readonly string[]) => (v: unknown) => typeof v === 'string' && kinds.includes(v);
  const isString = (v: unknown) => typeof v === 'string';

  if (!isObject(doc)) return expect(false, [], 'an object', doc);
  if (doc.version !== REPORT_VERSION) {
    const newer = typeof doc.version === 'number' && doc.version > REPORT_VERSION;
    return { at: ['version'], message: `report version ${describe(doc.version)}; this twoway reads version ${REPORT_VERSION}${newer ? ' (the file was written by a newer twoway)' : ''}` };
  }
  const run = doc.run;
  if (!isObject(run)) return expect(false, ['run'], 'an object', run);
  for (const field of ['id', 'startedAt'] as const) {
    const p = expect(isString(run[field]), ['run', field], 'a string', run[field]);
    if (p) return p;
  }
  const bad = expect(typeof run.interrupted === 'boolean', ['run', 'interrupted'], 'true or false', run.interrupted);
  if (bad) return bad;
  const strays = straysProblem(run.strays, ['run', 'strays']);
  if (strays) return strays;
  if (!Array.isArray(doc.nodes)) return expect(false, ['nodes'], 'a list of nodes', doc.nodes);
  for (const [i, node] of doc.nodes.entries()) {
    const at = ['nodes', i];
    if (!isObject(node)) return expect(false, at, 'an object', node);
    const checks: [boolean, string, string][] = [
      [isString(node.name), 'name', 'a string'],
      [Array.isArray(node.addresses) && node.addresses.every(isString), 'addresses', 'a list of addresses'],
      [oneOf(VERDICT_KINDS)(node.verdict), 'verdict', 'a verdict kind'],
      [node.nodeVerdict === undefined || oneOf(NODE_KINDS)(node.nodeVerdict), 'nodeVerdict', `a node verdict kind (${NODE_KINDS.join(', ')})`],
      [Array.isArray(node.paths), 'paths', 'a list of paths'],
    ];
    for (const [ok, field, what] of checks) {
      const p = expect(ok, [...at, field], what, node[field]);
      if (p) return p;
    }
    const nodeEvidence = evidenceProblem(nodeEvidenceProblem(node.nodeEvidence), [...at, 'nodeEvidence']);
    if (nodeEvidence) return nodeEvidence;
    const tokenStrays = straysProblem(node.tokenStrays, [...at, 'tokenStrays']);
    if (tokenStrays) return tokenStrays;
    for (const [j, path] of (node.paths as unknown[]).entries()) {
      const pat = [...at, 'paths', j];
      if (!isObject(path)) return expect(false, pat, 'an object', path);
      const pathChecks: [boolean, string, string][] = [
        [oneOf(['callback', 'forward'])(path.direction), 'direction', '"callback" or "forward"'],
        [isString(path.from), 'from', 'a string'],
        [isString(path.to), 'to', 'a string'],
        [Number.isInteger(path.port), 'port', 'a port number'],
        [oneOf(PATH_PROTOS)(path.proto), 'proto', `one of ${PATH_PROTOS.join(', ')}`],
        [oneOf(PATH_KINDS)(path.verdict), 'verdict', 'a path verdict kind'],
      ];
      for (const [ok, field, what] of pathChecks) {
        const p = expect(ok, [...pat, field], what, path[field]);
        if (p) return p;
      }
      const evidence = evidenceProblem(pathEvidenceProblem(path.evidence), [...pat, 'evidence']);
      if (evidence) return evidence;
    }
  }
  return undefined;
}

/** Stray groups (absent, or a list of StraySummary): the renderers list them. */
function straysProblem(value: unknown, at: Segment[]): Problem | undefined {
  if (value === undefined) return undefined;
  const what = 'a list of {source, reason, count, ports, paths}';
  if (!Array.isArray(value)) return { at, message: `expected ${what}, found ${describe(value)}` };
  for (const [i, s] of value.entries()) {
    const ok =
      isObject(s) &&
      typeof s.source === 'string' &&
      typeof s.reason === 'string' &&
      Number.isInteger(s.count) &&
      Array.isArray(s.ports) &&
      s.ports.every((p) => Number.isInteger(p)) &&
      Array.isArray(s.paths) &&
      s.paths.every((p) => typeof p === 'string') &&
      (s.node === undefined || typeof s.node === 'string');
    if (!ok) return { at: [...at, i], message: `expected {source, reason, count, ports, paths, node?}, found ${describe(s)}` };
  }
  return undefined;
}

/** An evidence object's problem, placed at its field. */
function evidenceProblem(problem: EvidenceProblem | undefined, at: Segment[]): Problem | undefined {
  if (problem === undefined) return undefined;
  return { at: problem.field === '' ? at : [...at, problem.field], message: `expected ${problem.expected}, found ${describe(problem.found)}` };
}

/** The report with its evidence typed: older reports' evidence, without a kind, mapped (src/report-evidence.ts). */
function withTypedEvidence(doc: Report): Report {
  return {
    ...doc,
    nodes: doc.nodes.map((node) => {
      const nodeEvidence = nodeEvidenceOf(node.nodeEvidence);
      return {
        ...node,
        ...(nodeEvidence === undefined ? {} : { nodeEvidence }),
        paths: node.paths.map((path) => ({ ...path, evidence: pathEvidenceOf(path.evidence) })),
      };
    }),
  };
}

/** The line of the value at `at` (or of its nearest ancestor that exists). */
function lineOf(root: Located, at: readonly Segment[]): number {
  let here = root;
  for (const segment of at) {
    const next =
      typeof segment === 'number'
        ? here.kind === 'list'
          ? here.items[segment]
          : undefined
        : here.kind === 'map'
          ? here.entries.find((e) => e.key === segment)?.value
          : undefined;
    if (next === undefined) break;
    here = next;
  }
  return here.line;
}

/** A report from its JSON text; `file` names it in errors. */
export function parseReport(text: string, file: string): Report {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // The located reader says where the syntax breaks (and throws); JSON.parse alone often does not.
    parseJsonLocated(text, file);
    throw new InputError(`not valid JSON (${(err as Error).message}); ${HINT}`, { file }, { cause: err });
  }
  const problem = reportProblem(doc);
  if (problem === undefined) return withTypedEvidence(doc as Report);
  const where = { file, line: lineOf(parseJsonLocated(text, file), problem.at), ...(problem.at.length > 0 ? { field: fieldName(problem.at) } : {}) };
  throw new InputError(`${problem.message}; ${HINT}`, where);
}

export function readReportFile(file: string, flag?: string): Report {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new InputError(`cannot read the report: ${code}`, { file, ...(flag === undefined ? {} : { field: flag }) }, { cause: err });
  }
  return parseReport(text, file);
}
