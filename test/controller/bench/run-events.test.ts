/** When each node got its verdict, from a run's JSON Lines stream. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonl, runTimeline } from '../../../controller/bench/run-events.js';
import { simpleNode } from '../../helpers/report-builder.js';
import { jsonlLine, type JsonlRecord } from '../../../src/render/jsonl.js';

const t0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number): string => new Date(t0 + s * 1000).toISOString();

function stream(): string {
  const records: JsonlRecord[] = [
    { at: at(0.5), type: 'started', nodes: 3, listeners: [] },
    { at: at(0.6), type: 'node-started', node: 'a' },
    { at: at(0.6), type: 'node-started', node: 'drop' },
    { at: at(2.0), type: 'node-finished', done: 1, total: 3, node: simpleNode('a', '10.0.0.1') },
    { at: at(2.1), type: 'node-started', node: 'b' },
    { at: at(3.5), type: 'node-finished', done: 2, total: 3, node: simpleNode('b', '10.0.0.2', 'rejected') },
    { at: at(21.6), type: 'node-finished', done: 3, total: 3, node: simpleNode('drop', '10.0.0.3', 'blocked') },
  ];
  return records.map(jsonlLine).join('');
}

test('verdict counts, the last healthy verdict, and the dropped node from run launch and from its own start', () => {
  const t = runTimeline(parseJsonl(stream()), t0, ['drop']);
  assert.deepEqual(t.verdicts, { ok: 1, rejected: 1, blocked: 1 });
  assert.equal(t.startedS, 0.5);
  assert.equal(t.lastHealthyVerdictS, 3.5);
  assert.equal(t.dropped.length, 1);
  assert.equal(t.dropped[0]?.verdict, 'blocked');
  assert.equal(t.dropped[0]?.verdictS, 21.6);
  assert.ok(Math.abs((t.dropped[0]?.afterNodeStartS ?? NaN) - 21.0) < 1e-9);
});

test('a stream cut mid-line (a killed run): the whole lines count, a dropped node without verdict has none', () => {
  const cut = stream().split('\n').slice(0, 4).join('\n') + '\n{"at":"2026-01-01T00:00:03.5';
  const t = runTimeline(parseJsonl(cut), t0, ['drop']);
  assert.deepEqual(t.verdicts, { ok: 1 });
  assert.deepEqual(t.dropped, [{ node: 'drop', verdict: undefined, verdictS: undefined, afterNodeStartS: undefined }]);
});
