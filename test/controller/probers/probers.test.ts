/** Forward probers against real servers on loopback: TCP connect, HTTP(S) with TLS details, NetBIOS name queries, closed ports. */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createRunCertificate } from '../../../controller/wire/cert.js';
import { httpProber } from '../../../controller/probers/http.js';
import { nodeStatusRequest, parseNodeStatusResponse, probeNetbiosName } from '../../../controller/probers/netbios.js';
import { probeTcp } from '../../../controller/probers/tcp.js';
import { fullAcceptQueue } from '../../helpers/full-accept-queue.js';
import { closedPort } from '../../helpers/loopback-server.js';

const LOOPBACK = '127.0.0.1';

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  return (server.address() as AddressInfo).port;
}

test('http prober: an answering web interface is open, with its status and server', async (t) => {
  const server = createHttpServer((_req, res) => res.writeHead(302, { server: 'iLO-test', location: 'https://x/' }).end());
  t.after(() => server.close());
  const port = await listen(server);
  const result = await httpProber('http')({ address: LOOPBACK, port }, 3000);
  assert.equal(result.outcome, 'open');
  assert.deepEqual(result.details, { http: { status: 302, server: 'iLO-test', location: 'https://x/' } });
});

test('https prober: reports the TLS version and the self-signed certificate the device presents', async (t) => {
  const cert = await createRunCertificate([LOOPBACK], 'ilo-lab.example');
  const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => res.end('login'));
  t.after(() => server.close());
  const port = await listen(server);
  const result = await httpProber('https')({ address: LOOPBACK, port }, 3000);
  assert.equal(result.outcome, 'open');
  const tls = result.details?.tls as { protocol: string; certificate: { subject: string; selfSigned: boolean; expired: boolean; fingerprint256: string } };
  assert.equal(tls.protocol, 'TLSv1.3');
  assert.equal(tls.certificate.subject, 'ilo-lab.example');
  assert.equal(tls.certificate.selfSigned, true);
  assert.equal(tls.certificate.expired, false);
  assert.equal(tls.certificate.fingerprint256, cert.fingerprint256);
  assert.equal((result.details?.http as { status: number }).status, 200);
});

test('https prober: a plain-TCP service on the port is a TLS failure, not open', async (t) => {
  const server = createTcpServer((socket) => socket.end('SSH-2.0-not-tls\r\n'));
  t.after(() => server.close());
  const port = await listen(server);
  const result = await httpProber('https')({ address: LOOPBACK, port }, 3000);
  assert.equal(result.outcome, 'tls-error', JSON.stringify(result));
});

test('http prober: a service that accepts and never answers is no-response within the deadline', async (t) => {
  const sockets: import('node:net').Socket[] = [];
  const server = createTcpServer((socket) => sockets.push(socket));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = await listen(server);
  const result = await httpProber('http')({ address: LOOPBACK, port }, 500);
  assert.equal(result.outcome, 'no-response');
  assert.equal(result.error?.code, 'TWOWAY_RESPONSE_TIMEOUT');
});

test('tcp prober: a listening port is open; a closed one is refused (the kernel answers RST)', async (t) => {
  const server = createTcpServer((socket) => socket.destroy());
  t.after(() => server.close());
  const open = await probeTcp({ address: LOOPBACK, port: await listen(server) }, 3000);
  assert.equal(open.outcome, 'open', JSON.stringify(open));
  const refused = await probeTcp({ address: LOOPBACK, port: await closedPort() }, 3000);
  assert.equal(refused.outcome, 'refused', JSON.stringify(refused));
  assert.equal(refused.error?.code, 'ECONNREFUSED');
});

test('tcp prober: a port whose SYNs go unanswered is a timeout at the deadline, not refused', async (t) => {
  const { port } = await fullAcceptQueue(t);
  const result = await probeTcp({ address: LOOPBACK, port }, 500);
  assert.equal(result.outcome, 'timeout', JSON.stringify(result));
  assert.equal(result.error?.code, 'ETIMEDOUT');
  assert.match(result.error?.message ?? '', /within 500 ms/);
});

test('tcp prober: an interrupted run ends the probe at once as an error, not a timeout', async (t) => {
  const { port } = await fullAcceptQueue(t);
  const abort = new AbortController();
  const pending = probeTcp({ address: LOOPBACK, port }, 30_000, abort.signal);
  abort.abort();
  const result = await pending;
  assert.equal(result.outcome, 'error');
  assert.equal(result.error?.code, 'ABORTED');
});

test('http and https probers: a closed port is refused', async () => {
  const port = await closedPort();
  for (const proto of ['http', 'https'] as const) {
    const result = await httpProber(proto)({ address: LOOPBACK, port }, 3000);
    assert.equal(result.outcome, 'refused', `${proto}: ${JSON.stringify(result)}`);
  }
});

/** A NetBIOS name service that answers node status requests with two names, as a Windows host does. */
function nodeStatusAnswer(request: Buffer, names: string[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(request.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8400, 2); // response, authoritative
  header.writeUInt16BE(1, 6); // one answer
  const questionName = request.subarray(12, 12 + 34);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(0x0021, 0);
  fixed.writeUInt16BE(0x0001, 2);
  fixed.writeUInt32BE(0, 4);
  const entries = names.map((name, i) => {
    const entry = Buffer.alloc(18, 0x20);
    entry.write(name, 0, 'latin1');
    entry[15] = i === 0 ? 0x00 : 0x20;
    entry.writeUInt16BE(0x0400, 16);
    return entry;
  });
  const data = Buffer.concat([Buffer.from([names.length]), ...entries, Buffer.alloc(46)]);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([header, questionName, fixed, data]);
}

test('netbios prober: a name service answering the node status request is open, with its names', async (t) => {
  const responder = createSocket('udp4');
  t.after(() => responder.close());
  responder.on('message', (msg, rinfo) => responder.send(nodeStatusAnswer(msg, ['WINSRV01', 'WINSRV01']), rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => responder.bind(0, LOOPBACK, resolve));
  const result = await probeNetbiosName({ address: LOOPBACK, port: responder.address().port }, 3000);
  assert.equal(result.outcome, 'open', JSON.stringify(result));
  assert.deepEqual(result.details, {
    netbios: { names: [{ name: 'WINSRV01', suffix: 0, group: false }, { name: 'WINSRV01', suffix: 0x20, group: false }] },
  });
});

test('netbios prober: ICMP port unreachable is refused; silence is a timeout', async (t) => {
  const silent = createSocket('udp4');
  t.after(() => silent.close());
  await new Promise<void>((resolve) => silent.bind(0, LOOPBACK, resolve));
  const quiet = await probeNetbiosName({ address: LOOPBACK, port: silent.address().port }, 400);
  assert.equal(quiet.outcome, 'timeout');

  const closed = createSocket('udp4');
  await new Promise<void>((resolve) => closed.bind(0, LOOPBACK, resolve));
  const port = closed.address().port;
  await new Promise<void>((resolve) => closed.close(resolve));
  const refused = await probeNetbiosName({ address: LOOPBACK, port }, 3000);
  assert.equal(refused.outcome, 'refused', JSON.stringify(refused));
});

test('netbios: the request is a node status query for "*"; answers to other transactions are ignored', () => {
  const request = nodeStatusRequest(0x1234);
  assert.equal(request.readUInt16BE(0), 0x1234);
  assert.equal(request.subarray(13, 15).toString('latin1'), 'CK'); // "*" = 0x2A -> 'C','K'
  assert.equal(request.readUInt16BE(12 + 34), 0x0021);
  const answer = nodeStatusAnswer(request, ['HOST']);
  assert.deepEqual(parseNodeStatusResponse(answer, 0x1234)?.map((n) => n.name), ['HOST']);
  assert.equal(parseNodeStatusResponse(answer, 0x4321), undefined);
  assert.equal(parseNodeStatusResponse(answer.subarray(0, 20), 0x1234), undefined);
});

test('http prober: headers in and a slow body after them is open (the answer came), not stalled', async (t) => {
  const responses: import('node:http').ServerResponse[] = [];
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { server: 'slow-login' });
    res.write('<html>');
    responses.push(res); // the rest of the page never comes
  });
  t.after(() => {
    for (const r of responses) r.destroy();
    server.close();
  });
  const port = await listen(server);
  const result = await httpProber('http')({ address: LOOPBACK, port }, 500);
  assert.equal(result.outcome, 'open', JSON.stringify(result));
  assert.deepEqual(result.details, { http: { status: 200, server: 'slow-login', location: null, bodyCut: true } });
});
