/**
 * Evidence in a report read back from a file (src/report-file.ts). Reports written before evidence
 * carried a `kind` are read, not refused: a path's evidence becomes kind `legacy`, kept as it was,
 * shown by the renderers and never decided on; a node's evidence had one shape then, the
 * session's, and becomes kind `session` when its fields have that shape. Session evidence is
 * checked field by field, since the renderers print those fields; a kind this twoway does not
 * know is refused, as an unknown verdict kind is.
 */
import { PATH_EVIDENCE_KINDS, type NodeFailureEvidence, type PathEvidence, type SessionFailureEvidence } from './evidence.js';

type Fields = Record<string, unknown>;

/** A problem with one field of an evidence object: its name (empty: the object itself), what was expected, what was found. */
export interface EvidenceProblem {
  field: string;
  expected: string;
  found: unknown;
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const optional = (check: (v: unknown) => boolean) => (v: unknown) => v === undefined || check(v);
const isString = (v: unknown): boolean => typeof v === 'string';

const isSessionBreak = (v: unknown): boolean =>
  isObject(v) &&
  Number.isInteger(v.results) &&
  Number.isInteger(v.planned) &&
  typeof v.endedMs === 'number' &&
  optional(isString)(v.lastLine) &&
  optional((ms) => typeof ms === 'number')(v.lastLineMs);

/** Every field of session evidence, and what it must hold. */
const SESSION_FIELDS: Record<Exclude<keyof SessionFailureEvidence, 'kind'>, [(v: unknown) => boolean, string]> = {
  exitCode: [(v) => v === null || Number.isInteger(v), 'an exit code or null'],
  stderr: [isString, 'a string'],
  timedOut: [optional((v) => typeof v === 'boolean'), 'true or false'],
  invalidOutput: [optional(isString), 'a string'],
  fatal: [optional((v) => isObject(v) && typeof v.message === 'string'), 'the agent\'s fatal event (with a message)'],
  runtimeProblem: [optional(isString), 'a string'],
  flavour: [optional(isString), 'a string'],
  lost: [optional(isSessionBreak), 'where the session broke (results, planned, endedMs; lastLine, lastLineMs)'],
};

function sessionProblem(fields: Fields): EvidenceProblem | undefined {
  for (const [field, [ok, expected]] of Object.entries(SESSION_FIELDS)) {
    if (!ok(fields[field])) return { field, expected, found: fields[field] };
  }
  return undefined;
}

/** The first problem with a path's evidence, or undefined. */
export function pathEvidenceProblem(raw: unknown): EvidenceProblem | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) return { field: '', expected: 'an object', found: raw };
  if (raw.kind !== undefined && !(PATH_EVIDENCE_KINDS as readonly unknown[]).includes(raw.kind)) {
    return { field: 'kind', expected: `an evidence kind (${PATH_EVIDENCE_KINDS.join(', ')})`, found: raw.kind };
  }
  return undefined;
}

/** The first problem with a node's evidence, or undefined. */
export function nodeEvidenceProblem(raw: unknown): EvidenceProblem | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) return { field: '', expected: 'an object', found: raw };
  if (raw.kind === undefined || raw.kind === 'legacy') return undefined;
  if (raw.kind !== 'session') return { field: 'kind', expected: 'a node evidence kind (session, legacy)', found: raw.kind };
  return sessionProblem(raw);
}

/** A path's evidence as this twoway types it; `raw` passed pathEvidenceProblem. */
export function pathEvidenceOf(raw: unknown): PathEvidence {
  if (!isObject(raw)) return { kind: 'legacy' };
  return raw.kind === undefined ? { kind: 'legacy', ...raw } : (raw as unknown as PathEvidence);
}

/** A node's evidence as this twoway types it; `raw` passed nodeEvidenceProblem. */
export function nodeEvidenceOf(raw: unknown): NodeFailureEvidence | undefined {
  if (!isObject(raw)) return undefined;
  if (raw.kind !== undefined) return raw as unknown as NodeFailureEvidence;
  const known = Object.keys(raw).every((field) => field in SESSION_FIELDS);
  return known && sessionProblem(raw) === undefined ? ({ kind: 'session', ...raw } as unknown as SessionFailureEvidence) : { kind: 'legacy', ...raw };
}
