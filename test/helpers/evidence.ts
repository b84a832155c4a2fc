/** Typed evidence for assertions: the variant a test expects, or a failed assertion naming what was there. */
import assert from 'node:assert/strict';
import type { PathEvidence, SessionFailureEvidence } from '../../src/evidence.js';
import type { NodeReport, PathReport } from '../../src/report.js';

/** A path's evidence, which must be of `kind` (the test fails here otherwise), typed as that variant. */
export function evidenceOf<K extends PathEvidence['kind']>(path: PathReport | undefined, kind: K): Extract<PathEvidence, { kind: K }> {
  const e = path?.evidence;
  const isKind = (x: PathEvidence | undefined): x is Extract<PathEvidence, { kind: K }> => x?.kind === kind;
  if (!isKind(e)) throw new assert.AssertionError({ message: `expected ${kind} evidence, found ${e?.kind ?? 'no path'}`, actual: e?.kind, expected: kind });
  return e;
}

/** A failed node's session evidence (the test fails when the node has none). */
export function sessionEvidenceOf(node: NodeReport | undefined): SessionFailureEvidence {
  const e = node?.nodeEvidence;
  if (e?.kind !== 'session') throw new assert.AssertionError({ message: `expected session evidence, found ${e?.kind ?? 'none'}`, actual: e?.kind, expected: 'session' });
  return e;
}
