/**
 * A connect that never completes: the Node agent still reports the local end its SYN left from, so
 * the controller can look that connection up in its own ledger.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkShape, loopbackPlan, resultOf, runFlavour } from '../../helpers/agent-process.js';
import { fullAcceptQueue } from '../../helpers/full-accept-queue.js';

test('node agent: a connect timeout reports the local endpoint the SYN came from', async (t) => {
  const { host: HOST, port, filler } = await fullAcceptQueue(t);

  const plan = loopbackPlan({
    controllerAddresses: [HOST],
    probes: [{ id: 'hello', kind: 'hello', proto: 'http', address: HOST, port }],
    deadlines: { connectMs: 500, stallMs: 500, probeMs: 2000, totalMs: 4000 },
    concurrency: 1,
  });
  const r = resultOf(checkShape(await runFlavour('node', plan), plan), 'hello');
  assert.deepEqual([r.outcome, r.phase, r.error?.code], ['timeout', 'connect', 'TWOWAY_CONNECT_TIMEOUT']);
  assert.equal(r.local?.address, HOST);
  assert.ok((r.local?.port ?? 0) > 0 && r.local?.port !== filler.localPort, `local ${JSON.stringify(r.local)}`);
});
