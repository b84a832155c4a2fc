import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellVerdict } from '../../../src/render/labels.js';
import type { PathReport } from '../../../src/report.js';
import type { VerdictKind } from '../../../src/verdicts.js';

function forward443(verdict: VerdictKind, to: string): PathReport {
  return { direction: 'forward', from: 'controller', to, port: 443, proto: 'tcp', verdict, summary: verdict, evidence: { kind: 'forward' } } as unknown as PathReport;
}

test('cellVerdict: a closed path-only port shows as closed, not ok, whichever address comes first', () => {
  assert.equal(cellVerdict([forward443('closed', '10.0.0.5')]), 'closed');
  assert.equal(cellVerdict([forward443('ok', '10.0.0.5'), forward443('closed', '10.0.1.5')]), 'closed');
  assert.equal(cellVerdict([forward443('closed', '10.0.0.5'), forward443('ok', '10.0.1.5')]), 'closed');
});

test('cellVerdict: a fault outranks information and ok; no path is no cell', () => {
  assert.equal(cellVerdict([forward443('closed', '10.0.0.5'), forward443('blocked', '10.0.1.5')]), 'blocked');
  assert.equal(cellVerdict([forward443('ok', '10.0.0.5')]), 'ok');
  assert.equal(cellVerdict([]), undefined);
});
