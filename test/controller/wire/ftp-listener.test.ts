/** The FTP listener on loopback: the dialogue, per-node login, the passive data port's peer check, bounds, the ledger. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { SOURCE_REFUSAL, SourceBinding } from '../../../controller/wire/source-binding.js';
import { MAX_FTP_LINE_BYTES } from '../../../src/protocol.js';
import { FILE_SIZE, HOST, LineClient, NODE, loggedIn, openData, pasvPort, readAll, startFtp } from '../../helpers/ftp.js';

test('ftp listener: banner, login, SIZE, PASV, RETR of the planned file, QUIT; the ledger records each step', async (t) => {
  const ftp = await startFtp(t);
  const c = await loggedIn(ftp);
  const port = pasvPort(await c.command('PASV'));
  assert.ok(port >= ftp.dataPorts.first && port <= ftp.dataPorts.last, `offered ${port} from the range`);
  const data = await openData(port);
  const body = readAll(data);
  assert.match(await c.command(`RETR ${ftp.probe.id}`), /^150 /);
  const bytes = await body;
  assert.equal(bytes.length, FILE_SIZE);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), ftp.probe.sha256);
  assert.match(await c.read(), /^226 /);
  assert.match(await c.command('QUIT'), /^221 /);
  await c.closed();

  const [entry, ...more] = ftp.ledger.forNode(NODE);
  assert.equal(more.length, 0);
  assert.equal(entry?.probe, ftp.probe.id);
  assert.equal(entry?.proto, 'ftp');
  assert.equal(entry?.ftp?.pasvPort, port);
  assert.equal(entry?.ftp?.dataPeer?.address, HOST);
  assert.equal(entry?.bytesWritten, FILE_SIZE);
  assert.equal(entry?.completed, true);
  assert.equal(entry?.aborted, false);
  const snapshot = ftp.ledger.snapshot();
  assert.equal(snapshot.strayCount, 0);
  // The control and the data connection.
  assert.deepEqual(snapshot.peers[HOST], { accepted: 2, withRequest: 1 });
});

test('ftp listener: EPSV offers a port from the range too', async (t) => {
  const ftp = await startFtp(t);
  const c = await loggedIn(ftp);
  const m = /^229 .*\(\|\|\|(\d+)\|\)$/.exec(await c.command('EPSV'));
  assert.ok(m);
  assert.ok(Number(m[1]) >= ftp.dataPorts.first && Number(m[1]) <= ftp.dataPorts.last);
  c.close();
});

test('ftp listener: a wrong token, or a valid token under another node\'s name, gets 530 and a closed connection, counted as stray', async (t) => {
  const ftp = await startFtp(t);
  for (const [user, token] of [
    [NODE, '0'.repeat(64)],
    ['other-node', ftp.token],
  ] as const) {
    const c = await LineClient.open(ftp.controlPort);
    assert.match(await c.read(), /^220 /);
    assert.match(await c.command(`USER ${user}`), /^331 /);
    assert.match(await c.command(`PASS ${token}`), /^530 /);
    await c.closed();
  }
  const snapshot = ftp.ledger.snapshot();
  assert.equal(snapshot.strayCount, 2);
  assert.match(snapshot.stray[0]?.reason ?? '', /ftp login refused/);
  assert.deepEqual(snapshot.requests, []);
});

test('ftp listener: a node\'s login is served from its own address only; from another node\'s, or a second unexpected one, it gets 530 and is a stray naming the node', async (t) => {
  const sources = new SourceBinding();
  sources.expect(NODE, [HOST]);
  sources.expect('other-node', ['127.0.0.2']);
  const ftp = await startFtp(t, {}, FILE_SIZE, 3, sources);
  const login = async (from: string) => {
    const c = await LineClient.open(ftp.controlPort, from);
    assert.match(await c.read(), /^220 /);
    assert.match(await c.command(`USER ${NODE}`), /^331 /);
    return { c, answer: await c.command(`PASS ${ftp.token}`) };
  };
  const replay = await login('127.0.0.2');
  assert.match(replay.answer, /^530 /, "from other-node's address");
  await replay.c.closed();
  const own = await login(HOST);
  assert.match(own.answer, /^230 /, 'from its own address');
  own.c.close();
  // It called from its own address: no NAT in front of it, so an address that is no node's is refused too.
  const elsewhere = await login('127.0.0.5');
  assert.match(elsewhere.answer, /^530 /, 'from an address that is no node\'s');
  await elsewhere.c.closed();
  const snapshot = ftp.ledger.snapshot();
  assert.deepEqual(
    snapshot.straySummary.map((s) => [s.source, s.reason, s.node, s.ports]),
    [
      ['127.0.0.2', SOURCE_REFUSAL.otherNode, NODE, [ftp.controlPort]],
      ['127.0.0.5', SOURCE_REFUSAL.secondTranslated, NODE, [ftp.controlPort]],
    ],
  );
  assert.match(snapshot.stray[0]?.detail ?? '', /node other-node's/);
  assert.deepEqual(snapshot.requests, [], 'no refused login reached the ledger as a request');
});

test('ftp listener: nothing but login before it; an unplanned probe name is refused and counted', async (t) => {
  const ftp = await startFtp(t);
  const anonymous = await LineClient.open(ftp.controlPort);
  await anonymous.read();
  assert.match(await anonymous.command('PASV'), /^530 /);
  assert.match(await anonymous.command(`RETR ${ftp.probe.id}`), /^530 /);
  anonymous.close();

  const c = await LineClient.open(ftp.controlPort);
  await c.read();
  await c.command(`USER ${NODE}`);
  await c.command(`PASS ${ftp.token}`);
  assert.match(await c.command('PASV'), /^503 /, 'no PASV before SIZE names the probe');
  assert.match(await c.command('SIZE not-a-probe'), /^550 /);
  assert.match(await c.command('SITE EXEC x'), /^502 /);
  c.close();
  assert.equal(ftp.ledger.snapshot().strayCount, 1);
  assert.deepEqual(ftp.ledger.forNode(NODE), []);
});

test('ftp listener: a data connection from an address other than the control connection\'s is refused; the right one still gets the file', async (t) => {
  const ftp = await startFtp(t);
  const c = await loggedIn(ftp);
  const port = pasvPort(await c.command('PASV'));
  const intruder = await openData(port, '127.0.0.2');
  await new Promise<void>((resolve) => intruder.once('close', () => resolve()));
  assert.match(ftp.ledger.snapshot().stray[0]?.reason ?? '', new RegExp(`port ${port} with no PASV open for 127\\.0\\.0\\.2`));

  const data = await openData(port);
  const body = readAll(data);
  assert.match(await c.command(`RETR ${ftp.probe.id}`), /^150 /);
  assert.equal((await body).length, FILE_SIZE);
  assert.match(await c.read(), /^226 /);
  assert.equal(ftp.ledger.forNode(NODE)[0]?.ftp?.dataPeer?.address, HOST);
  c.close();
});

test('ftp listener: a data port with no PASV open accepts nothing, and RETR without PASV is refused', async (t) => {
  const ftp = await startFtp(t);
  const stray = await openData(ftp.dataPorts.first);
  await new Promise<void>((resolve) => stray.once('close', () => resolve()));
  assert.equal(ftp.ledger.snapshot().strayCount, 1);
  const c = await loggedIn(ftp);
  assert.match(await c.command(`RETR ${ftp.probe.id}`), /^425 /);
  c.close();
});

test('ftp listener: RETR before the data connection waits for it; a PASV nobody connects to gives up with 425', async (t) => {
  const ftp = await startFtp(t, { dataWaitMs: 300 });
  const c = await loggedIn(ftp);
  const port = pasvPort(await c.command('PASV'));
  c.socket.write(`RETR ${ftp.probe.id}\r\n`);
  const data = await openData(port);
  const body = readAll(data);
  assert.match(await c.read(), /^150 /);
  assert.equal((await body).length, FILE_SIZE);
  assert.match(await c.read(), /^226 /);
  c.close();

  const late = await loggedIn(ftp);
  pasvPort(await late.command('PASV'));
  assert.match(await late.command(`RETR ${ftp.probe.id}`), /^425 no data connection arrived/);
  late.close();
});

test('ftp listener: a data connection closed mid-transfer is aborted in the ledger and answered 426', async (t) => {
  // Larger than loopback's socket buffers, so the listener still has most of it when the reset comes.
  const ftp = await startFtp(t, {}, 32 * 1024 * 1024);
  const c = await loggedIn(ftp);
  const port = pasvPort(await c.command('PASV'));
  const data = await openData(port);
  data.once('data', () => data.resetAndDestroy());
  assert.match(await c.command(`RETR ${ftp.probe.id}`), /^150 /);
  assert.match(await c.read(), /^426 /);
  const entry = ftp.ledger.forNode(NODE)[0];
  assert.equal(entry?.aborted, true);
  assert.equal(entry?.completed, false);
  assert.ok((entry?.bytesWritten ?? 0) < 32 * 1024 * 1024, 'the ledger shows how far it got');
  c.close();
});

test('ftp listener: bounded per session: line length, number of commands, idle time', async (t) => {
  const ftp = await startFtp(t, { commandsPerSession: 4, idleMs: 300 });
  const long = await LineClient.open(ftp.controlPort);
  await long.read();
  long.socket.write('X'.repeat(MAX_FTP_LINE_BYTES + 10));
  assert.match(await long.read(), /^500 line too long/);
  await long.closed();

  const chatty = await LineClient.open(ftp.controlPort);
  await chatty.read();
  for (let i = 0; i < 4; i++) assert.match(await chatty.command('NOOP'), /^200 /);
  assert.match(await chatty.command('NOOP'), /^421 too many commands/);
  await chatty.closed();

  const idle = await LineClient.open(ftp.controlPort);
  await idle.read();
  assert.match(await idle.read(), /^421 idle/);
  await idle.closed();
});

test('ftp listener: after close() neither the control port nor the passive range accepts connections', async (t) => {
  const ftp = await startFtp(t);
  await ftp.listener.close();
  for (const port of [ftp.controlPort, ftp.dataPorts.first, ftp.dataPorts.last]) {
    await assert.rejects(openData(port), { code: 'ECONNREFUSED' });
  }
});
