/**
 * A connect that never completes: the Node agent still reports the local end its SYN left from, so
 * the controller can look that connection up in its own ledger. A listening socket whose accept
 * queue is full (backlog 0, one connection waiting, nobody accepting) makes the kernel drop further
 * SYNs on loopback, the way a lost SYN-ACK looks from the node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { PROTOCOL_VERSION, type Plan } from '../src/protocol.js';
import { checkShape, resultOf, runFlavour } from './agent-process.js';

const HOST = '127.0.0.1';
/** Python binds, listens with backlog 0, prints the port and never accepts (Node's servers always accept). */
const NEVER_ACCEPTS = "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()";

test('node agent: a connect timeout reports the local endpoint the SYN came from', async (t) => {
  const holder = spawn('python3', ['-c', NEVER_ACCEPTS], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => {
    holder.stdin.end();
    holder.kill();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the python listener did not start within 5 s')), 5000);
    holder.stdout.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(d.toString().trim()));
    });
  });
  // Fills the one place in the accept queue.
  const filler = net.connect(port, HOST);
  filler.on('error', () => undefined);
  t.after(() => filler.destroy());
  await new Promise<void>((resolve, reject) => {
    filler.once('connect', () => resolve());
    filler.once('error', reject);
  });

  const plan: Plan = {
    version: PROTOCOL_VERSION,
    runId: 't',
    node: 'node-a',
    token: 't',
    fingerprint256: 'AA',
    controllerAddresses: [HOST],
    probes: [{ id: 'hello', kind: 'hello', proto: 'http', address: HOST, port }],
    deadlines: { connectMs: 500, stallMs: 500, probeMs: 2000, totalMs: 4000 },
    concurrency: 1,
  };
  const r = resultOf(checkShape(await runFlavour('node', plan), plan), 'hello');
  assert.deepEqual([r.outcome, r.phase, r.error?.code], ['timeout', 'connect', 'TWOWAY_CONNECT_TIMEOUT']);
  assert.equal(r.local?.address, HOST);
  assert.ok((r.local?.port ?? 0) > 0 && r.local?.port !== filler.localPort, `local ${JSON.stringify(r.local)}`);
});
