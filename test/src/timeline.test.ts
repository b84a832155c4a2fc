/** The fleet over time: strips per node and path, when each broke and was fixed, flapping, the state now; bounded for large fleets. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_GROUPS, MAX_NAMES, buildTimeline, changesOf } from '../../src/timeline.js';
import { renderHistoryText } from '../../src/render/history.js';
import { HISTORY_IDS, historyRuns } from '../helpers/history-runs.js';
import { report, simpleNode } from '../helpers/report-builder.js';

test('timeline: a path that broke and was fixed, one that flaps, one failing now, healthy nodes folded', () => {
  const t = buildTimeline(historyRuns());
  assert.deepEqual(t.runs.map((r) => r.id), HISTORY_IDS);
  assert.equal(t.nodes, 6);
  assert.deepEqual(t.healthy, { count: 1, names: ['solid'] });
  const group = (member: string, column: string) => {
    const g = t.groups.find((x) => x.members.includes(member) && x.column === column);
    assert.ok(g, `${member} ${column}`);
    return g;
  };
  const web1 = group('web1', 'cb http:63001');
  assert.deepEqual(web1.changes.map((c) => [c.change, HISTORY_IDS[c.run]]), [['broke', HISTORY_IDS[1]], ['fixed', HISTORY_IDS[3]]]);
  assert.equal(web1.flapping, false);
  assert.equal(web1.now, 'ok');
  assert.equal(group('flappy', 'cb http:63001').flapping, true);
  assert.equal(group('web2', 'cb https:63002').now, 'slow');
  const dual = group('dual from 10.0.4.2', 'cb http:63001');
  assert.equal(dual.now, 'blocked');
  assert.deepEqual(dual.changes.map((c) => c.change), ['broke'], 'failing from the first stored run');
  assert.ok(!t.groups.some((g) => g.members.includes('dual from 10.0.5.2')), 'the address that always passed is not a problem row');
  const gone = group('gone', 'cb http:63001');
  assert.equal(gone.now, null, 'a node no longer in the runs is gone now');
  assert.deepEqual(gone.verdicts.slice(2), [null, null, null]);
  assert.equal(t.groups[0]!.now, 'blocked', 'failing now first');
});

test('timeline: changes are judged as twoway diff judges them (not measured is neither broken nor fixed)', () => {
  assert.deepEqual(changesOf(['ok', 'not-measured', 'ok', 'blocked', null, 'rejected', 'ok']).map((c) => [c.change, c.run]), [['broke', 3], ['changed', 5], ['fixed', 6]]);
  assert.deepEqual(changesOf(['slow', 'blocked']).map((c) => c.change), ['broke', 'changed']);
});

test('timeline: a thousand nodes with one history are one group; groups beyond the limit are counted; the text stays short', () => {
  const ids = ['20250101T030000-b1', '20250102T030000-b2'];
  const fleet = (i: number) => report(ids[i]!, Array.from({ length: 3000 }, (_, n) => simpleNode(`n${n}`, `10.1.${n >> 8}.${n & 255}`, i === 1 && n < 1000 ? 'blocked' : 'ok')));
  const t = buildTimeline([fleet(0), fleet(1)]);
  const blocked = t.groups.filter((g) => g.now === 'blocked');
  assert.deepEqual(blocked.map((g) => [g.column, g.size, g.members.length]), [['cb http:63001', 1000, MAX_NAMES], ['cb https:63002', 1000, MAX_NAMES]]);
  assert.equal(t.healthy.count, 2000);
  assert.ok(renderHistoryText(t, 'dir').length < 5000);

  // Every node with its own history: more groups than shown.
  const many = Array.from({ length: MAX_GROUPS + 40 }, (_, r) => report(`2025${String(Math.floor(r / 28) + 1).padStart(2, '0')}${String((r % 28) + 1).padStart(2, '0')}T030000-c${r.toString(16)}`, [simpleNode(`m${r}`, '10.2.0.1', 'blocked')]));
  const wide = buildTimeline(many);
  assert.equal(wide.groups.length, MAX_GROUPS);
  assert.deepEqual(wide.omitted, { groups: (MAX_GROUPS + 40) * 2 - MAX_GROUPS, entries: (MAX_GROUPS + 40) * 2 - MAX_GROUPS });
});
