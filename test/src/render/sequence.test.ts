/** Where traffic stops, read from each evidence variant; the transfer ladder of a size fault, with a path MTU shown when the evidence has one. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ladderFigures, ladderOf } from '../../../src/render/html-svg-ladder.js';
import { sequenceOf, type Sequence } from '../../../src/render/sequence.js';
import { storyReport } from '../../helpers/story-report.js';
import { fleetReport } from '../../fixtures/report/load.js';

function pathOf(name: string, index = 0) {
  const n = storyReport().nodes.find((x) => x.name === name);
  assert.ok(n, name);
  return n.paths[index]!;
}

function stopStep(seq: Sequence | undefined): { label: string; from: string; reached: string } {
  const step = seq?.steps.find((s) => s.stop === true);
  assert.ok(step, 'a step where traffic stops');
  return { label: step.label, from: step.from, reached: step.reached };
}

test('sequence: blocked stops the SYN on the path; a return path lost stops the answer after the SYN was seen', () => {
  const blocked = sequenceOf(pathOf('web1'));
  assert.deepEqual(stopStep(blocked), { label: 'SYN', from: 'node', reached: 'path' });
  assert.equal(blocked?.stop?.side, 'path');
  const lost = sequenceOf(pathOf('return-acl'));
  assert.deepEqual(lost?.steps.map((s) => [s.label, s.reached]), [['SYN', 'other'], ['SYN-ACK', 'path']]);
  assert.match(lost?.steps[0]?.note ?? '', /SYN_RECV/);
});

test('sequence: a size boundary stops the response body at its offset; an idle cut stops the push after the quiet spell', () => {
  const mtu = sequenceOf(pathOf('mtu'));
  assert.deepEqual(stopStep(mtu), { label: 'response body', from: 'controller', reached: 'path' });
  assert.match(mtu?.stop?.text ?? '', /at byte 2896/);
  const idle = sequenceOf(pathOf('idle'));
  assert.ok(idle?.steps.some((s) => s.label === 'quiet for 600 s'));
  assert.deepEqual(stopStep(idle), { label: 'push', from: 'controller', reached: 'path' });
});

test('sequence: forward probes start at the controller; a half-open SYN loses the SYN-ACK, an ICMP reject stops on the path', () => {
  const half = sequenceOf(pathOf('esx', 0));
  assert.equal(half?.initiator, 'controller');
  assert.deepEqual(stopStep(half), { label: 'SYN-ACK', from: 'node', reached: 'path' });
  const icmp = sequenceOf(pathOf('esx', 1));
  assert.deepEqual(stopStep(icmp), { label: 'SYN', from: 'controller', reached: 'path' });
  assert.match(icmp?.stop?.text ?? '', /ICMP/);
});

test('sequence: legacy evidence (the fleet fixture) is read by its field names; ok paths draw nothing', () => {
  const fleet = fleetReport();
  for (const n of fleet.nodes) {
    for (const p of n.paths) {
      const seq = sequenceOf(p);
      if (p.verdict === 'ok' || p.verdict === 'not-measured') assert.equal(seq, undefined, `${n.name} ${p.verdict}`);
      else assert.ok(seq !== undefined && seq.steps.length > 0, `${n.name}: ${p.verdict} is drawn`);
    }
  }
  const rpl = fleet.nodes.find((n) => n.name === 'return-acl')!.paths[0]!;
  assert.deepEqual(stopStep(sequenceOf(rpl)), { label: 'SYN-ACK', from: 'controller', reached: 'path' });
});

test('ladder: per direction and size passed, stuck (with the offset of the first) or no result; the path MTU and the throughput of the passing transfers both ways show when the evidence has them', () => {
  const ladder = ladderOf(pathOf('mtu'), [1024, 65536, 1048576, 8388608]);
  assert.ok(ladder);
  const row = (d: string) => ladder.rungs.filter((r) => r.direction === d).map((r) => (r.stallAt === undefined ? r.result : `${r.result}@${r.stallAt}`));
  assert.deepEqual(row('download'), ['passed', 'stuck@2896', 'stuck', 'unknown']);
  assert.deepEqual(row('upload'), ['passed', 'passed', 'unknown', 'unknown']);
  assert.equal(ladder.pathMtu, 1400);
  assert.match(ladderFigures(ladder)[0]!, /path MTU: 1400 bytes/);
  assert.deepEqual(ladder.throughput, { toNode: 1.6, toController: 42.5 });
  assert.equal(ladderFigures(ladder)[1], 'throughput toward the node: 1.6 Mbit/s; toward the controller: 42.5 Mbit/s');
  assert.equal(ladderOf(pathOf('web1'), [1024]), undefined, 'no ladder for a fault that does not depend on size');
  const legacy = ladderOf(fleetReport().nodes.find((n) => n.name === 'mtu')!.paths[0]!, [1024, 65536, 1048576]);
  assert.deepEqual(legacy?.rungs.map((r) => r.result), ['passed', 'stuck', 'unknown']);
  assert.match(ladderFigures(legacy!)[0]!, /not measured/);
});
