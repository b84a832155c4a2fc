/** Run history on real directories: naming, keeping the newest N, finding the last run, and bad files. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { checkHistoryDir, lastRun, listRuns, openHistory, saveRun } from '../../src/history.js';
import { parseReport, readReportFile } from '../../src/report-file.js';
import { renderJson } from '../../src/render/json.js';
import { report, simpleNode } from '../helpers/report-builder.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'twoway-history-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const id = (day: number, hex = 'abcdef') => `202501${String(day).padStart(2, '0')}T120000-${hex}`;

test('history: each run is stored as <run id>.json, complete, with no temporary file left', (t) => {
  const dir = tempDir(t);
  const r = report(id(1), [simpleNode('web1', '10.1.0.2')]);
  const { file, removed } = saveRun(dir, r, 30);
  assert.equal(file, join(dir, `${id(1)}.json`));
  assert.deepEqual(removed, []);
  assert.deepEqual(readdirSync(dir), [`${id(1)}.json`]);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), r);
});

test('history: keeps the newest N runs and deletes only files with its own naming', (t) => {
  const dir = tempDir(t);
  const others = ['notes.txt', 'baseline.json', '20250101T120000.json', '.20250101T120000-abcdef.json.1.aa.tmp'];
  for (const name of others) writeFileSync(join(dir, name), 'not a run');
  // Stored out of order: age comes from the run id, not from when the file was written.
  for (const day of [3, 1, 4, 2]) saveRun(dir, report(id(day), []), 10);
  const { removed } = saveRun(dir, report(id(5), []), 2);
  assert.deepEqual(removed, [id(1), id(2), id(3)].map((x) => `${x}.json`));
  assert.deepEqual(listRuns(dir), [id(4), id(5)].map((x) => `${x}.json`));
  assert.deepEqual(readdirSync(dir).filter((n) => others.includes(n)).sort(), [...others].sort());
});

test('history: "last" is the newest finished run; interrupted runs are skipped; an empty history has none', (t) => {
  const dir = tempDir(t);
  assert.equal(lastRun(dir), undefined);
  assert.equal(lastRun(join(dir, 'not-made-yet')), undefined);
  saveRun(dir, report(id(1), [simpleNode('a', '10.1.0.2')]), 30);
  saveRun(dir, report(id(2, '000001'), [simpleNode('a', '10.1.0.2', 'blocked')]), 30);
  saveRun(dir, report(id(3), [], true), 30);
  const last = lastRun(dir);
  assert.equal(last?.file, join(dir, `${id(2, '000001')}.json`));
  assert.equal(last?.report.nodes[0]?.paths[0]?.verdict, 'blocked');
});

test('history: runs started within one second are ordered by when they were stored', (t) => {
  const dir = tempDir(t);
  const early = saveRun(dir, report(id(1, 'ffffff'), []), 30).file;
  const late = saveRun(dir, report(id(1, '000000'), []), 30).file;
  utimesSync(early, 1000, 1000);
  utimesSync(late, 2000, 2000);
  assert.deepEqual(listRuns(dir), [id(1, 'ffffff'), id(1, '000000')].map((x) => `${x}.json`));
  assert.equal(lastRun(dir)?.file, late);
  const { removed } = saveRun(dir, report(id(2), []), 2);
  assert.deepEqual(removed, [`${id(1, 'ffffff')}.json`]);
});

test('history: a corrupt newest run is an error naming the file, not skipped', (t) => {
  const dir = tempDir(t);
  saveRun(dir, report(id(1), []), 30);
  const bad = join(dir, `${id(2)}.json`);
  writeFileSync(bad, '{"version": 1, "run": ');
  assert.throws(
    () => lastRun(dir),
    (err: unknown) => err instanceof InputError && err.file === bad && /line 1/.test(err.message),
  );
});

test('history: the history directory cannot be a file', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'plain');
  writeFileSync(file, '');
  assert.throws(() => openHistory(file), (err: unknown) => err instanceof InputError && err.field === '--history' && /plain.*not a directory/.test(err.message));
});

test('history: only the last level is made; a missing parent (a typo higher up) is refused and nothing is made', (t) => {
  const dir = tempDir(t);
  assert.deepEqual(openHistory(join(dir, 'runs')), { created: true });
  assert.deepEqual(openHistory(join(dir, 'runs')), { created: false });
  assert.deepEqual(listRuns(join(dir, 'runs')), []);
  const typo = join(dir, 'typo', 'runs');
  for (const check of [checkHistoryDir, openHistory]) {
    assert.throws(
      () => check(typo),
      (err: unknown) => err instanceof InputError && err.file === typo && err.field === '--history' && err.message.includes(`neither does its parent ${join(dir, 'typo')}`),
    );
  }
  assert.deepEqual(readdirSync(dir), ['runs']);
});

test('report file: a valid report reads back as written', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'r.json');
  const r = report(id(1), [simpleNode('a', '10.1.0.2', 'rejected')]);
  writeFileSync(file, renderJson(r));
  assert.deepEqual(readReportFile(file), r);
});

test('report file: bad reports name the file, the line and the field', () => {
  const good = report(id(1), [simpleNode('a', '10.1.0.2')]);
  const text = (doc: unknown) => JSON.stringify(doc, null, 2);
  const cases: [string, string, RegExp][] = [
    ['newer version', text({ ...good, version: 2 }), /r\.json, line 2, field "version": report version 2; this twoway reads version 1 \(the file was written by a newer twoway\)/],
    ['not a report', text({ hello: 'world' }), /field "version": report version nothing/],
    ['a list', '[]', /r\.json, line 1: expected an object, found a list/],
    [
      'unknown verdict',
      text({ ...good, nodes: [{ ...good.nodes[0]!, paths: [good.nodes[0]!.paths[0]!, { ...good.nodes[0]!.paths[1]!, verdict: 'fine' }] }] }),
      /line \d+, field "nodes\[0\]\.paths\[1\]\.verdict": expected a path verdict kind, found "fine"/,
    ],
    ['missing run id', text({ ...good, run: { ...good.run, id: undefined } }), /field "run\.id": expected a string, found nothing/],
    ['syntax', '{"version": 1,\n  "run": }', /r\.json, line 2/],
  ];
  for (const [name, body, message] of cases) {
    assert.throws(() => parseReport(body, 'r.json'), (err: unknown) => err instanceof InputError && message.test(err.message), name);
  }
  // The line points at the bad value.
  const bad = text({ ...good, nodes: [{ ...good.nodes[0]!, addresses: 'x' }] });
  const line = bad.split('\n').findIndex((l) => l.includes('"addresses": "x"')) + 1;
  assert.throws(() => parseReport(bad, 'r.json'), (err: unknown) => err instanceof InputError && err.line === line && err.field === 'nodes[0].addresses');
});
