/** The Nagios/Icinga plug-in output: the line's grammar, perfdata per the guidelines, and the state and exit code from the run's state. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { nagiosState, renderNagios } from '../../../src/render/nagios.js';
import { callback, node, report, simpleNode } from '../../helpers/report-builder.js';
import { fleetReport } from '../../fixtures/report/load.js';
import { tempDir, twoway } from '../../helpers/cli.js';

/** `TWOWAY STATE - text | perfdata`, each perfdata item `label=value[UOM];[warn];[crit];[min];[max]`. */
const LINE = /^TWOWAY (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+) \| (.+)$/;
const PERF = /^([a-z]+)=(-?\d+(?:\.\d+)?)(s|%|B|KB|MB|TB|c)?;(\d*);(\d*);(\d*);?(\d*)$/;

function perf(text: string): Map<string, { value: number; uom: string; warn: string; crit: string }> {
  const m = LINE.exec(text.split('\n')[0]!);
  assert.ok(m, `the plug-in line: ${text}`);
  const items = new Map<string, { value: number; uom: string; warn: string; crit: string }>();
  for (const item of m[3]!.split(' ')) {
    const p = PERF.exec(item);
    assert.ok(p, `perfdata item ${item}`);
    items.set(p[1]!, { value: Number(p[2]), uom: p[3] ?? '', warn: p[4]!, crit: p[5]! });
  }
  return items;
}

const ID = '20250101T030000-abc123';

test('nagios: OK, WARNING, CRITICAL and UNKNOWN from the run, exit 0/1/2/3', () => {
  const ok = report(ID, [simpleNode('a', '10.0.1.2')]);
  const warned = report(ID, [simpleNode('a', '10.0.1.2'), simpleNode('b', '10.0.1.3', 'slow')]);
  const faulty = report(ID, [simpleNode('a', '10.0.1.2', 'blocked'), simpleNode('b', '10.0.1.3', 'slow')]);
  const info = report(ID, [node('c', ['10.0.1.4'], [callback('10.0.1.4', 63001, 'closed')])]);
  const interrupted = report(ID, [simpleNode('a', '10.0.1.2', 'blocked')], true);
  assert.deepEqual([ok, warned, faulty, info, interrupted].map((r) => renderNagios(r).exitCode), [0, 1, 2, 0, 3]);
  assert.deepEqual([ok, warned, faulty, info, interrupted].map(nagiosState), ['OK', 'WARNING', 'CRITICAL', 'OK', 'UNKNOWN']);
  assert.match(renderNagios(ok).text, /^TWOWAY OK - all 1 nodes pass both ways \| /);
  assert.match(renderNagios(interrupted).text, /^TWOWAY UNKNOWN - run interrupted/);
  const counts = perf(renderNagios(faulty).text);
  assert.deepEqual([...counts.keys()], ['nodes', 'faults', 'warnings', 'info', 'duration']);
  assert.deepEqual([counts.get('nodes')!.value, counts.get('faults')!.value, counts.get('warnings')!.value, counts.get('info')!.value], [2, 1, 1, 0]);
  assert.equal(perf(renderNagios(info).text).get('info')!.value, 1);
  assert.equal(counts.get('duration')!.uom, 's');
  assert.equal(counts.get('faults')!.crit, '0', 'any fault is critical');
  assert.equal(counts.get('warnings')!.warn, '0', 'any warning warns');
});

test('nagios: the fleet fixture names its faulty nodes, bounded, with a long-output line per failing path and no pipe in the text', () => {
  const fleet = fleetReport();
  const { text, exitCode } = renderNagios(fleet);
  assert.equal(exitCode, 2);
  const [first, ...rest] = text.trimEnd().split('\n');
  assert.match(first!, /^TWOWAY CRITICAL - 7 of 8 nodes with faults: web1 blocked, web2 blocked, .* and 2 more \| /);
  assert.equal(perf(text).get('faults')!.value, 7);
  assert.ok(rest.some((l) => l.startsWith('sshd-stopped: ssh-refused')), 'a failed session has its line');
  assert.ok(!rest.some((l) => l.includes('not-measured')), 'a failed session\'s unmeasured paths go unsaid');
  const renamed = { ...fleet, nodes: fleet.nodes.map((n) => ({ ...n, name: `${n.name}|x\ny` })) };
  const line = renderNagios(renamed).text.split('\n')[0]!;
  assert.equal(line.split('|').length, 2, 'only the perfdata separator is a pipe');
});

test('nagios: the CLI prints only the plug-in output and exits with its code; bad input is UNKNOWN (3)', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'r.json');
  writeFileSync(file, JSON.stringify(report(ID, [simpleNode('a', '10.0.1.2'), simpleNode('b', '10.0.1.3', 'slow')])));
  const warned = twoway(['render', file, '--nagios']);
  assert.equal(warned.code, 1, 'a warning is WARNING (1), where the normal rule exits 0');
  assert.match(warned.stdout, /^TWOWAY WARNING - 1 of 2 nodes with warnings: b slow \| /);
  const bad = twoway(['render', join(dir, 'missing.json'), '--nagios']);
  assert.equal(bad.code, 3, 'could not run: UNKNOWN, where the normal rule exits 2');
  assert.match(bad.stdout, /^TWOWAY UNKNOWN - could not run: .*missing\.json/);
  assert.equal(twoway(['render', join(dir, 'missing.json')]).code, 2, 'without --nagios bad input stays 2');
});
