/**
 * A callback path whose SYNs are dropped costs one connect deadline, not one per probe: the agent
 * connects to each path once, and reports the path's other probes with that first connect's
 * evidence (agent/src/path-gate.ts). A path that answers, even with a refusal, is still tried probe
 * by probe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlannedProbe, ProbeResult } from '../../../src/protocol.js';
import { TEST_FLAVOURS, checkShape, loopbackPlan, resultOf, runFlavour } from '../../helpers/agent-process.js';
import { fullAcceptQueue } from '../../helpers/full-accept-queue.js';
import { closedPort } from '../../helpers/loopback-server.js';

const SHA = 'a'.repeat(64);
const NOT_TRIED = 'not tried again';

function pathProbes(tag: string, address: string, port: number): PlannedProbe[] {
  const base = { proto: 'http' as const, address, port };
  return [
    { ...base, id: `hello-${tag}`, kind: 'hello' },
    { ...base, id: `dl-${tag}`, kind: 'download', size: 1024, sha256: SHA },
    { ...base, id: `ul-${tag}`, kind: 'upload', size: 1024, sha256: SHA },
    { ...base, id: `status-${tag}`, kind: 'status', posts: 2, intervalMs: 0 },
  ];
}

function resultsOf(results: Map<string, ProbeResult>, probes: PlannedProbe[]): ProbeResult[] {
  return probes.map((p) => resultOf(results, p.id));
}

for (const flavour of TEST_FLAVOURS) {
  test(`${flavour} agent: each dropped path is connected to once; its other probes carry that connect's evidence`, async (t) => {
    const dropA = await fullAcceptQueue(t);
    const dropB = await fullAcceptQueue(t);
    const refusing = await closedPort();
    const paths = {
      a: pathProbes('a', dropA.host, dropA.port),
      b: pathProbes('b', dropB.host, dropB.port),
      refused: pathProbes('refused', '127.0.0.1', refusing),
    };
    const plan = loopbackPlan({
      controllerAddresses: ['127.0.0.1'],
      // Plan order puts a path's probes together: the agent must not spend its slots on one path.
      probes: [...paths.a, ...paths.b, ...paths.refused],
      deadlines: { connectMs: 500, stallMs: 500, probeMs: 2000, totalMs: 20_000 },
      concurrency: 2,
    });
    const results = checkShape(await runFlavour(flavour, plan), plan);

    for (const probes of [paths.a, paths.b]) {
      const reported = resultsOf(results, probes);
      for (const r of reported) {
        assert.deepEqual([r.outcome, r.phase, r.error?.code], ['timeout', 'connect', 'TWOWAY_CONNECT_TIMEOUT'], `${r.id}: ${JSON.stringify(r)}`);
      }
      const tried = reported.filter((r) => !(r.error?.message ?? '').includes(NOT_TRIED));
      assert.equal(tried.length, 1, `one connect per dropped path: ${JSON.stringify(reported)}`);
      const opener = tried[0]!.id;
      for (const r of reported.filter((x) => x.id !== opener)) {
        assert.match(r.error?.message ?? '', new RegExp(`${NOT_TRIED}: probe ${opener} had the same address and port`), r.id);
      }
    }
    for (const r of resultsOf(results, paths.refused)) {
      assert.equal(r.outcome, 'refused', `${r.id}: ${JSON.stringify(r)}`);
      assert.ok(!(r.error?.message ?? '').includes(NOT_TRIED), `${r.id} was tried itself`);
    }
  });
}
