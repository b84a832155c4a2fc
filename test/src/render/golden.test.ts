/**
 * Golden snapshots of every report format, made by the real CLI (`twoway render`) from a fixed
 * report (test/fixtures/report/fleet.json, whose times are fixed). Each snapshot starts with the
 * command line and the exit code the process really returned. TWOWAY_UPDATE_GOLDEN=1 rewrites them;
 * review the diff before committing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Report } from '../../../src/report.js';
import { VERDICT_KINDS } from '../../../src/verdicts.js';
import { FLEET_REPORT, fleetReport } from '../../fixtures/report/load.js';
import { writeHistory } from '../../helpers/history-runs.js';

const BIN = fileURLToPath(new URL('../../../../bin/twoway.js', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../../../../test/golden/', import.meta.url));
const UPDATE = process.env.TWOWAY_UPDATE_GOLDEN === '1';

let work = '';
before(() => {
  work = mkdtempSync(join(tmpdir(), 'twoway-golden-'));
  copyFileSync(FLEET_REPORT, join(work, 'report.json'));
  // The same run with only its healthy node: the exit code 0 case.
  const full = fleetReport();
  const healthy = full.nodes.filter((n) => n.name === 'healthy');
  const counts = Object.fromEntries(VERDICT_KINDS.map((k) => [k, k === 'ok' ? 1 : 0]));
  const ok: Report = { ...full, nodes: healthy, findings: [], summary: { ...full.summary, ...counts, nodes: 1, failedNodes: 0 } };
  writeFileSync(join(work, 'report-ok.json'), JSON.stringify(ok, null, 2));
  mkdirSync(join(work, 'hist'));
  writeHistory(join(work, 'hist'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs `twoway ARGS` in the work directory; the snapshot is the header plus stdout or the named output file. */
function snapshot(args: string[], output?: string): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.error, undefined);
  assert.equal(r.stderr, '', 'nothing on stderr');
  const body = output === undefined ? r.stdout : readFileSync(join(work, output), 'utf8');
  return `# command: twoway ${args.join(' ')}\n# exit: ${r.status}\n${body}`;
}

function compare(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (UPDATE || !existsSync(file)) {
    assert.ok(UPDATE, `${file} is missing: run the tests with TWOWAY_UPDATE_GOLDEN=1 and review it`);
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from its snapshot (TWOWAY_UPDATE_GOLDEN=1 to accept the change)`);
}

const CASES: [string, string[], string | undefined][] = [
  ['terminal.snap', ['render', 'report.json'], undefined],
  ['terminal-ok.snap', ['render', 'report-ok.json'], undefined],
  ['json.snap', ['render', 'report.json', '--json', 'out.json'], 'out.json'],
  ['jsonl.snap', ['render', 'report.json', '--jsonl', 'out.jsonl'], 'out.jsonl'],
  ['junit.snap', ['render', 'report.json', '--junit', 'out.xml'], 'out.xml'],
  ['prom.snap', ['render', 'report.json', '--prom', 'out.prom'], 'out.prom'],
  ['html.snap', ['render', 'report.json', '--html', 'out.html'], 'out.html'],
  ['tap.snap', ['render', 'report.json', '--tap', 'out.tap'], 'out.tap'],
  ['nagios.snap', ['render', 'report.json', '--nagios'], undefined],
  ['nagios-ok.snap', ['render', 'report-ok.json', '--nagios'], undefined],
  ['history.snap', ['history', 'hist'], undefined],
  ['history-json.snap', ['history', 'hist', '--json', '-'], undefined],
  ['history-html.snap', ['history', 'hist', '--html', 'hist.html'], 'hist.html'],
  // The update managers' callback needs (src/managers.ts): the seed's HP SUM 6.x and SUM 7.3+ differ.
  ['profiles-hpsum6.snap', ['profiles', '--manager', 'hpsum6'], undefined],
  ['profiles-sum7.snap', ['profiles', '--manager', 'sum7'], undefined],
];

for (const [name, args, output] of CASES) {
  test(`golden: ${name} (twoway ${args.join(' ')})`, () => compare(name, snapshot(args, output)));
}

test('golden: the exit codes in the snapshots are the ones the process returned (1 with faults, 0 all ok)', () => {
  assert.match(snapshot(['render', 'report.json']), /^# command: twoway render report\.json\n# exit: 1\n/);
  assert.match(snapshot(['render', 'report-ok.json']), /^# command: twoway render report-ok\.json\n# exit: 0\n/);
});

test('golden: all formats at once write the same files as one at a time', () => {
  snapshot(['render', 'report.json', '--json', 'all.json', '--jsonl', 'all.jsonl', '--junit', 'all.xml', '--prom', 'all.prom', '--html', 'all.html', '--tap', 'all.tap']);
  for (const [ext, single] of [['json', 'out.json'], ['jsonl', 'out.jsonl'], ['xml', 'out.xml'], ['prom', 'out.prom'], ['html', 'out.html'], ['tap', 'out.tap']] as const) {
    assert.equal(readFileSync(join(work, `all.${ext}`), 'utf8'), readFileSync(join(work, single), 'utf8'), ext);
  }
});
