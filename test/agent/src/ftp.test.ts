/**
 * The agent's FTP probe, run as the controller runs it, against the real FTP listener on 127.0.0.1
 * and against scripted servers that fail the way paths do: control refused, data port refused,
 * the file stalling or cut short.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { agentScript } from '../../../controller/agents/deploy.js';
import type { Plan, PlannedProbe, ProbeResult } from '../../../src/protocol.js';
import { checkShape, resultOf, runAgent } from '../../helpers/agent-process.js';
import { HOST, NODE, startFtp } from '../../helpers/ftp.js';
import { closedPort, serveOnLoopback } from '../../helpers/loopback-server.js';

function planFor(probes: PlannedProbe[], token: string): Plan {
  return {
    version: 1,
    runId: 'run-ftp',
    node: NODE,
    token,
    fingerprint256: 'AA:BB',
    controllerAddresses: [HOST],
    probes,
    deadlines: { connectMs: 1000, stallMs: 800, probeMs: 4000, totalMs: 8000 },
    concurrency: 4,
  };
}

async function runProbe(probe: PlannedProbe, token: string): Promise<ProbeResult> {
  const plan = planFor([probe], token);
  return resultOf(checkShape(await runAgent(agentScript(plan)), plan), probe.id);
}

function listen(t: TestContext, onConnection: (socket: Socket) => void): Promise<number> {
  return serveOnLoopback(
    t,
    createServer((socket) => {
      socket.on('error', () => undefined);
      onConnection(socket);
    }),
  );
}

/**
 * A scripted FTP server that accepts any login and offers `dataPort` in its PASV answer. The data
 * side is the test's: a server whose behaviour on RETR the test decides, or a closed port.
 */
async function scriptedServer(t: TestContext, dataPort: number): Promise<number> {
  return listen(t, (socket) => {
    socket.write('220 scripted\r\n');
    let buffered = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      buffered += text;
      let i: number;
      while ((i = buffered.indexOf('\r\n')) !== -1) {
        const verb = buffered.slice(0, i).split(' ')[0];
        buffered = buffered.slice(i + 2);
        const answers: Record<string, string> = { USER: '331 ok', PASS: '230 ok', TYPE: '200 ok', SIZE: '213 100000', PASV: `227 Entering Passive Mode (127,0,0,1,${dataPort >> 8},${dataPort & 0xff})`, RETR: '150 sending' };
        socket.write(`${answers[verb ?? ''] ?? '502 no'}\r\n`);
      }
    });
  });
}

function ftpProbe(port: number, dataPorts = { first: 63006, last: 63010 }, size = 100_000, sha256 = 'a'.repeat(64)): PlannedProbe {
  return { id: 'ftp-0', kind: 'ftp', proto: 'ftp', address: HOST, port, dataPorts, size, sha256 };
}

test('agent ftp: the whole dialogue against the listener; the file checks out; every step is in the result and the ledger', async (t) => {
  const ftp = await startFtp(t);
  const result = await runProbe(ftp.probe, ftp.token);
  assert.equal(result.outcome, 'ok', JSON.stringify(result));
  assert.equal(result.bytes, ftp.probe.size);
  assert.equal(result.ftp?.controlOk, true);
  assert.equal(result.ftp?.loginOk, true);
  assert.equal(result.ftp?.dataConnected, true);
  const port = result.ftp?.pasvPort ?? 0;
  assert.ok(port >= ftp.dataPorts.first && port <= ftp.dataPorts.last);
  const entry = ftp.ledger.forNode(NODE)[0];
  assert.equal(entry?.ftp?.pasvPort, port);
  assert.equal(entry?.completed, true);
  assert.equal(ftp.ledger.snapshot().strayCount, 0);
});

test('agent ftp: a wrong token is a refused login, after a control connection that worked', async (t) => {
  const ftp = await startFtp(t);
  const result = await runProbe(ftp.probe, 'f'.repeat(64));
  assert.equal(result.outcome, 'ftp-error');
  assert.equal(result.phase, 'request');
  assert.deepEqual({ ...result.ftp }, { controlOk: true, loginOk: false, dataConnected: false, reply: '530 login incorrect' });
  assert.ok(!JSON.stringify(result).includes('f'.repeat(64)), 'the token is not in the result');
});

test('agent ftp: control port refused: nothing got as far as the banner', async () => {
  const result = await runProbe(ftpProbe(await closedPort()), 't');
  assert.equal(result.outcome, 'refused');
  assert.equal(result.phase, 'connect');
  assert.equal(result.ftp?.controlOk, false);
});

test('agent ftp: control works, the passive data port refuses: data-connect refused, with the port tried', async (t) => {
  const dataPort = await closedPort();
  const result = await runProbe(ftpProbe(await scriptedServer(t, dataPort)), 't');
  assert.equal(result.outcome, 'refused');
  assert.equal(result.phase, 'data-connect');
  assert.deepEqual({ ...result.ftp, reply: undefined }, { controlOk: true, loginOk: true, pasvPort: dataPort, dataConnected: false, reply: undefined });
});

test('agent ftp: the file stops arriving: stalled in the body, at the byte it stopped', async (t) => {
  const dataPort = await listen(t, (socket) => socket.write(Buffer.alloc(30_000)));
  const result = await runProbe(ftpProbe(await scriptedServer(t, dataPort)), 't');
  assert.equal(result.outcome, 'stalled');
  assert.equal(result.phase, 'body');
  assert.equal(result.bytes, 30_000);
  assert.equal(result.ftp?.dataConnected, true);
});

test('agent ftp: the data connection closes early: truncated', async (t) => {
  const dataPort = await listen(t, (socket) => socket.end(Buffer.alloc(30_000)));
  const result = await runProbe(ftpProbe(await scriptedServer(t, dataPort)), 't');
  assert.equal(result.outcome, 'truncated');
  assert.equal(result.phase, 'body');
  assert.equal(result.bytes, 30_000);
});

test('agent ftp: the whole size with other content: corrupt', async (t) => {
  const dataPort = await listen(t, (socket) => socket.end(Buffer.alloc(100_000)));
  const result = await runProbe(ftpProbe(await scriptedServer(t, dataPort)), 't');
  assert.equal(result.outcome, 'corrupt');
  assert.match(result.error?.message ?? '', /SHA-256/);
});
