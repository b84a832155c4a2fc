/** `twoway merge`: shard reports joined into one, as if one controller had tested every node. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseFleet } from '../../../controller/diagnose/fleet.js';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { mergeReports, type MergeInput } from '../../../controller/run/merge.js';
import { InputError } from '../../../src/errors.js';
import { NO_HINTS } from '../../../src/profiles.js';
import { getRunExitCode, type NodeReport, type Report } from '../../../src/report.js';
import type { Shard } from '../../../src/shard.js';
import type { PathKind } from '../../../src/verdicts.js';
import { NODE_ADDR, allHttp, evidence } from '../../helpers/diagnose-input.js';
import { callback, report, simpleNode, node as reportNode } from '../../helpers/report-builder.js';

const CTL = '10.9.0.1';
const HINTS = { hintsOf: (profile: string) => (profile === 'linux' ? NO_HINTS : undefined) };

function shardReport(id: string, nodes: NodeReport[], shard?: Shard, settings: Partial<Report['run']['settings']> = {}): Report {
  const r = report(id, nodes);
  return { ...r, run: { ...r.run, ...(shard === undefined ? {} : { shard }), settings: { ...r.run.settings, ...settings } } };
}

/** What its controller wrote: its fleet step run on its own nodes (findings, fixes). */
function asRun(r: Report): Report {
  const { nodes, findings } = diagnoseFleet(r.nodes, { httpPort: 63001, httpsPort: 63002, hintsOf: () => NO_HINTS });
  return { ...r, nodes, findings };
}

function twoShards(a: NodeReport[], b: NodeReport[]): MergeInput[] {
  return [
    { file: 'shard1.json', report: asRun(shardReport('20250101T010000-aaaaaa', a, { index: 1, count: 2 })) },
    { file: 'shard2.json', report: asRun(shardReport('20250101T010005-bbbbbb', b, { index: 2, count: 2 })) },
  ];
}

function refused(inputs: MergeInput[], message: RegExp, options: { partial?: boolean } = {}): InputError {
  let caught: unknown;
  try {
    mergeReports(inputs, { ...HINTS, ...options });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof InputError, `refused as bad input: ${String(caught)}`);
  assert.match(caught.message, message);
  return caught;
}

/** A diagnosed node at `address` whose web callbacks all time out (blocked). */
function blockedNode(name: string, address: string): NodeReport {
  const overrides = Object.fromEntries(['http', 'https'].flatMap((proto) => Object.entries(allHttp({ outcome: 'timeout', phase: 'connect', ms: 3000 })).map(([id, r]) => [id.replace('-http-', `-${proto}-`), r])));
  return diagnoseNode(evidence(overrides, { name, addresses: [address] }));
}

const twoCallbacks = (name: string, address: string, verdict: PathKind): NodeReport =>
  reportNode(name, [address], [callback(address, 63001, verdict, CTL), callback(address, 63002, verdict, CTL)]);

test('merge: every node of every shard once, in shard order, whatever order the files are given in', () => {
  const [one, two] = twoShards([simpleNode('a', '10.1.0.2'), simpleNode('b', '10.1.0.3')], [simpleNode('c', '10.1.0.4')]);
  const merged = mergeReports([two!, one!], HINTS);
  assert.deepEqual(merged.nodes.map((n) => n.name), ['a', 'b', 'c']);
  assert.equal(merged.summary.nodes, 3);
  assert.deepEqual(merged.run.merged?.map((m) => [m.file, m.shard?.index, m.nodes]), [['shard1.json', 1, 2], ['shard2.json', 2, 1]]);
  assert.equal(merged.run.startedAt, one!.report.run.startedAt, 'the earliest start');
  assert.match(merged.run.id, /^20250101T010000-[0-9a-f]{6}$/, 'an id of the history\'s pattern');
  assert.equal(mergeReports([one!, two!], HINTS).run.id, merged.run.id, 'the same merge, the same id');
});

test('merge: a node in two reports is refused, naming the node and both files', () => {
  const inputs = twoShards([simpleNode('a', '10.1.0.2'), simpleNode('web1', '10.1.0.3')], [simpleNode('web1', '10.1.0.3')]);
  const err = refused(inputs, /node "web1" is in shard1\.json and in shard2\.json/);
  assert.equal(err.file, 'shard2.json');
  refused([inputs[0]!, { ...inputs[0]!, file: 'again.json' }], /node "a" is in shard1\.json and in again\.json|shard 1\/2 is also shard1\.json/);
});

test('merge: a fleet finding that needs nodes of two shards appears only after the merge, and takes over their own fixes', () => {
  const inputs = twoShards([blockedNode('a', NODE_ADDR)], [blockedNode('b', '10.9.2.2')]);
  for (const { report: alone } of inputs) {
    assert.deepEqual(alone.findings, [], 'one blocked node alone proves nothing shared');
    assert.ok(alone.nodes[0]!.remedies?.some((r) => r.lines.some((l) => l.includes('--dports 63001,63002'))), 'so its controller gave it its own egress rule');
  }
  const merged = mergeReports(inputs, HINTS);
  assert.deepEqual(merged.findings.map((f) => [f.scope, f.port, f.nodes]), [['controller', 63001, ['a', 'b']], ['controller', 63002, ['a', 'b']]]);
  assert.deepEqual(merged.nodes.map((n) => n.remedies), [undefined, undefined], 'the finding explains both nodes: their own fixes are gone');
});

test('merge: a subnet finding across shards, and none when the shards\' nodes disagree', () => {
  const failing = mergeReports(twoShards([twoCallbacks('web1', '10.9.20.2', 'blocked'), twoCallbacks('db', '10.9.30.2', 'ok')], [twoCallbacks('web2', '10.9.20.3', 'blocked')]), HINTS);
  assert.deepEqual(failing.findings.map((f) => [f.scope, f.where, f.nodes]), [['subnet', '10.9.20.0/24', ['web1', 'web2']], ['subnet', '10.9.20.0/24', ['web1', 'web2']]]);
  const passing = mergeReports(twoShards([twoCallbacks('web1', '10.9.20.2', 'blocked'), twoCallbacks('db', '10.9.30.2', 'ok')], [twoCallbacks('web2', '10.9.20.3', 'ok')]), HINTS);
  assert.deepEqual(passing.findings, []);
});

test('merge: the exit code follows the run\'s rule over all nodes: 1 on a fault in any shard, 0 on none, 130 if a run was interrupted', () => {
  assert.equal(getRunExitCode(mergeReports(twoShards([simpleNode('a', '10.1.0.2')], [simpleNode('b', '10.1.0.3')]), HINTS)), 0);
  const faulty = mergeReports(twoShards([simpleNode('a', '10.1.0.2')], [simpleNode('b', '10.1.0.3', 'rejected')]), HINTS);
  assert.equal(getRunExitCode(faulty), 1);
  assert.equal(faulty.summary.failedNodes, 1);
  const [one, two] = twoShards([simpleNode('a', '10.1.0.2')], [simpleNode('b', '10.1.0.3')]);
  const stopped = { ...two!, report: { ...two!.report, run: { ...two!.report.run, interrupted: true } } };
  assert.equal(getRunExitCode(mergeReports([one!, stopped], HINTS)), 130);
});

test('merge: reports whose verdict settings differ are refused, naming the setting and both files; concurrency may differ', () => {
  const a = { file: 'a.json', report: shardReport('20250101T010000-aaaaaa', [simpleNode('a', '10.1.0.2')]) };
  const differ = (settings: Partial<Report['run']['settings']>): MergeInput => ({ file: 'b.json', report: shardReport('20250101T010000-bbbbbb', [simpleNode('b', '10.1.0.3')], undefined, settings) });
  refused([a, differ({ sizes: [1024, 65536] })], /run setting sizes is \[1024,65536\] here but \[1024\] in a\.json/);
  refused([a, differ({ httpPort: 8080 })], /run setting httpPort/);
  refused([a, differ({ firmwareBytes: 2 })], /run setting firmwareBytes/);
  const strict = { file: 's.json', report: shardReport('20250101T010000-ssssss', [simpleNode('s', '10.1.0.6')], undefined, { minMbps: 10, agentTimeoutMs: 30_000 }) };
  refused([strict, differ({ minMbps: 100 })], /run setting minMbps is 100 here but 10 in s\.json/);
  refused([strict, differ({ agentTimeoutMs: 60_000 })], /run setting agentTimeoutMs/);
  assert.equal(mergeReports([a, strict], HINTS).nodes.length, 2, 'a report from before the thresholds were recorded is not compared on them');
  const ftp = { controlPort: 21, dataPorts: { first: 63006, last: 63010 } };
  const withFtp = { file: 'c.json', report: shardReport('20250101T010000-cccccc', [simpleNode('c', '10.1.0.4')], undefined, { ftp }) };
  refused([withFtp, { ...differ({ ftp: { ...ftp, controlPort: 2121 } }) }], /run setting ftp/);
  const merged = mergeReports([a, withFtp, differ({ concurrency: 64 })], HINTS);
  assert.equal(merged.run.settings.concurrency, 66, 'nodes tested at once across the controllers');
  assert.deepEqual(merged.run.settings.ftp, ftp, 'a report without FTP nodes does not clash with one that has them');
});

test('merge: a missing shard is refused unless --partial, which records what is there; mixed splits and a shard twice are refused', () => {
  const [one] = twoShards([simpleNode('a', '10.1.0.2')], []);
  refused([one!], /shard\(s\) 2\/2 missing/);
  const partial = mergeReports([one!], { ...HINTS, partial: true });
  assert.deepEqual(partial.run.merged?.map((m) => m.shard), [{ index: 1, count: 2 }]);
  const ofThree = { file: 'three.json', report: shardReport('20250101T010000-cccccc', [simpleNode('c', '10.1.0.4')], { index: 2, count: 3 }) };
  refused([one!, ofThree], /shard 2\/3 is of a split in 3, but shard1\.json is of a split in 2/);
  const sameIndex = { file: 'other1.json', report: shardReport('20250101T010000-dddddd', [simpleNode('d', '10.1.0.5')], { index: 1, count: 2 }) };
  refused([one!, sameIndex], /shard 1\/2 is also shard1\.json/);
});

test('merge: a node whose profile is not known here (a --profiles file\'s) is refused, asking for that file', () => {
  const custom = { ...simpleNode('a', '10.1.0.2'), profile: 'site-linux' };
  refused([{ file: 'a.json', report: shardReport('20250101T010000-aaaaaa', [custom]) }], /node "a" has profile "site-linux".*--profiles/);
});

test('merge: an empty shard\'s report (no node, no listener, no certificate) accounts for its shard and adds nothing else', () => {
  const [one] = twoShards([simpleNode('a', '10.1.0.2')], []);
  const withCert = { ...one!, report: { ...one!.report, run: { ...one!.report.run, controller: { listeners: [], fingerprint256: 'AA:BB' } } } };
  const empty = { file: 'empty.json', report: shardReport('20250101T010009-eeeeee', [], { index: 2, count: 2 }) };
  const merged = mergeReports([empty, withCert], HINTS);
  assert.deepEqual(merged.nodes.map((n) => n.name), ['a']);
  assert.equal(merged.run.controller.fingerprint256, 'AA:BB');
  assert.deepEqual(merged.run.merged?.map((m) => [m.file, m.nodes]), [['shard1.json', 1], ['empty.json', 0]]);
});

test('merge: reports of runs under different update managers merge, each node judged by another manager than the first report\'s saying which', () => {
  const sum7 = { file: 'sum7.json', report: shardReport('20250101T010000-aaaaaa', [simpleNode('a', '10.1.0.2'), { ...simpleNode('v', '10.1.0.5'), manager: 'vum' }], undefined, { manager: 'sum7' }) };
  const hpsum6 = { file: 'hpsum6.json', report: shardReport('20250101T010000-bbbbbb', [simpleNode('b', '10.1.0.3'), { ...simpleNode('c', '10.1.0.4'), manager: 'sum7' }], undefined, { manager: 'hpsum6' }) };
  const merged = mergeReports([sum7, hpsum6], HINTS);
  assert.equal(merged.run.settings.manager, 'sum7');
  assert.deepEqual(merged.nodes.map((n) => [n.name, n.manager]), [['a', undefined], ['v', 'vum'], ['b', 'hpsum6'], ['c', undefined]]);
});
