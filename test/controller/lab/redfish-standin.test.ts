/**
 * The Redfish BMC stand-in on 127.0.0.1: sessions, managers, virtual media, the way it reaches an
 * image (HEAD and ranged GETs, its own TLS trust), its errors with @Message.ExtendedInfo, and two
 * real Redfish clients (Debian's redfishtool and ilorest) listing its managers and virtual media.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Agent, fetch } from 'undici';
import { createRunCertificate, type RunCertificate } from '../../../controller/wire/cert.js';
import { normalizePin, type ImageTrust } from '../../../controller/lab/redfish/fetch-image.js';
import { RedfishStandIn } from '../../../controller/lab/redfish/server.js';
import type { MediaSlot } from '../../../controller/lab/redfish/resources.js';
import { closedPort, LOOPBACK, serveOnLoopback } from '../../helpers/loopback-server.js';

const USER = 'operator';
const PASSWORD = 'lab-only pw:1';
const CD = '/redfish/v1/Managers/1/VirtualMedia/CD1';

interface Bmc {
  base: string;
  standIn: RedfishStandIn;
  agent: Agent;
}

async function startBmc(t: TestContext, trust: ImageTrust = { kind: 'all' }, slots?: Partial<MediaSlot>[]): Promise<Bmc> {
  const cert = await createRunCertificate([LOOPBACK], 'bmc');
  const standIn = new RedfishStandIn({ user: USER, password: PASSWORD, cert, trust, fetchDeadlineMs: 3000, ...(slots === undefined ? {} : { slots }) });
  const port = await standIn.listen(LOOPBACK);
  // The test's client trusts exactly the stand-in's certificate.
  const agent = new Agent({ connect: { ca: cert.certPem } });
  t.after(async () => {
    await agent.close();
    await standIn.close();
  });
  return { base: `https://${LOOPBACK}:${port}`, standIn, agent };
}

async function call(bmc: Bmc, method: string, path: string, body?: object, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${bmc.base}${path}`, {
    method,
    dispatcher: bmc.agent,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

async function login(bmc: Bmc): Promise<{ token: string; location: string }> {
  const r = await call(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { UserName: USER, Password: PASSWORD });
  assert.equal(r.status, 201);
  return { token: r.headers.get('x-auth-token')!, location: r.headers.get('location')! };
}

/** An image server on loopback that records each request's method and Range. */
async function imageServer(t: TestContext, cert?: RunCertificate): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const image = Buffer.alloc(200 * 1024, 7);
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    seen.push(`${req.method} ${req.headers.range ?? '-'}`);
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range === null) {
      res.writeHead(200, { 'content-length': String(image.length) }).end(req.method === 'HEAD' ? undefined : image);
      return;
    }
    const [first, last] = [Number(range[1]), Number(range[2])];
    res.writeHead(206, { 'content-range': `bytes ${first}-${last}/${image.length}`, 'content-length': String(last - first + 1) }).end(image.subarray(first, last + 1));
  };
  const server = cert === undefined ? http.createServer(handler) : https.createServer({ cert: cert.certPem, key: cert.keyPem }, handler);
  const port = await serveOnLoopback(t, server);
  return { url: `${cert === undefined ? 'http' : 'https'}://${LOOPBACK}:${port}/twoway/probe-1.iso`, seen };
}

test('redfish stand-in: the service root is open, everything else needs a session; logout ends it', async (t) => {
  const bmc = await startBmc(t);
  const root = await call(bmc, 'GET', '/redfish/v1/');
  assert.equal(root.status, 200);
  assert.equal(root.json.Links.Sessions['@odata.id'], '/redfish/v1/SessionService/Sessions');
  const denied = await call(bmc, 'GET', '/redfish/v1/Managers');
  assert.equal(denied.status, 401);
  assert.equal(denied.json.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.8.NoValidSession');
  const wrong = await call(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { UserName: USER, Password: 'nope' });
  assert.equal(wrong.status, 401);

  const { token, location } = await login(bmc);
  const managers = await call(bmc, 'GET', '/redfish/v1/Managers', undefined, { 'x-auth-token': token });
  assert.deepEqual(managers.json.Members, [{ '@odata.id': '/redfish/v1/Managers/1' }]);
  const media = await call(bmc, 'GET', '/redfish/v1/Managers/1/VirtualMedia', undefined, { 'x-auth-token': token });
  assert.equal(media.json['Members@odata.count'], 2);
  assert.equal((await call(bmc, 'DELETE', location, undefined, { 'x-auth-token': token })).status, 204);
  assert.equal((await call(bmc, 'GET', '/redfish/v1/Managers', undefined, { 'x-auth-token': token })).status, 401, 'the token is gone after logout');
  assert.equal(bmc.standIn.state.sessions, 0);
});

test('redfish stand-in: insert reaches the image with HEAD and ranged GETs, reports it on the resource, eject clears it', async (t) => {
  const bmc = await startBmc(t);
  const image = await imageServer(t);
  const { token } = await login(bmc);
  const auth = { 'x-auth-token': token };
  const inserted = await call(bmc, 'POST', `${CD}/Actions/VirtualMedia.InsertMedia`, { Image: image.url, Inserted: true, WriteProtected: true }, auth);
  assert.equal(inserted.status, 204);
  assert.deepEqual(image.seen, ['HEAD -', 'GET bytes=0-65535', `GET bytes=${200 * 1024 - 65536}-${200 * 1024 - 1}`]);
  const slot = (await call(bmc, 'GET', CD, undefined, auth)).json;
  assert.deepEqual([slot.Image, slot.Inserted, slot.ConnectedVia, slot.ImageName], [image.url, true, 'URI', 'probe-1.iso']);

  assert.equal((await call(bmc, 'POST', `${CD}/Actions/VirtualMedia.EjectMedia`, {}, auth)).status, 204);
  const after = (await call(bmc, 'GET', CD, undefined, auth)).json;
  assert.deepEqual([after.Image, after.Inserted, after.ConnectedVia], [null, false, 'NotConnected']);
  assert.deepEqual(bmc.standIn.state.actions.map((a) => `${a.action} ${a.slot} ${a.ok}`), ['insert CD1 true', 'eject CD1 true']);
});

test('redfish stand-in: an image it cannot reach is an error with @Message.ExtendedInfo, on the answer and on the resource', async (t) => {
  const bmc = await startBmc(t);
  const { token } = await login(bmc);
  const url = `http://${LOOPBACK}:${await closedPort()}/x.iso`;
  const r = await call(bmc, 'POST', `${CD}/Actions/VirtualMedia.InsertMedia`, { Image: url }, { 'x-auth-token': token });
  assert.equal(r.status, 400);
  const info = r.json.error['@Message.ExtendedInfo'][0];
  assert.equal(info.MessageId, 'Base.1.8.CouldNotEstablishConnection');
  assert.match(info.Message, /connection refused/);
  const slot = (await call(bmc, 'GET', CD, undefined, { 'x-auth-token': token })).json;
  assert.deepEqual([slot.Inserted, slot.ConnectedVia], [false, 'NotConnected']);
  assert.equal(slot['@Message.ExtendedInfo'][0].MessageId, 'Base.1.8.CouldNotEstablishConnection');
  const missing = await call(bmc, 'POST', `${CD}/Actions/VirtualMedia.InsertMedia`, {}, { 'x-auth-token': token });
  assert.equal(missing.json.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.8.ActionParameterMissing');
});

test('redfish stand-in: its TLS client trusts all, a CA file, or a pinned fingerprint, and says when it refuses the certificate', async (t) => {
  const serverCert = await createRunCertificate([LOOPBACK], 'twoway run');
  const otherCa = await createRunCertificate([LOOPBACK], 'corporate CA');
  const pin = normalizePin(serverCert.fingerprint256);
  const cases: [string, ImageTrust, number][] = [
    ['trust all', { kind: 'all' }, 204],
    ['the run certificate as CA', { kind: 'ca', caPem: serverCert.certPem }, 204],
    ['another CA', { kind: 'ca', caPem: otherCa.certPem }, 400],
    ['pinned', { kind: 'pin', sha256: pin }, 204],
    ['pinned to another', { kind: 'pin', sha256: normalizePin(otherCa.fingerprint256) }, 400],
  ];
  for (const [name, trust, status] of cases) {
    const bmc = await startBmc(t, trust);
    const image = await imageServer(t, serverCert);
    const { token } = await login(bmc);
    const r = await call(bmc, 'POST', `${CD}/Actions/VirtualMedia.InsertMedia`, { Image: image.url }, { 'x-auth-token': token });
    assert.equal(r.status, status, name);
    if (status === 400) {
      assert.match(r.json.error['@Message.ExtendedInfo'][0].Message, /TLS certificate not trusted/, name);
      assert.deepEqual(image.seen, [], `${name}: no request got through`);
    }
  }
});

test('redfish stand-in: a slot in use refuses an insert and keeps its media', async (t) => {
  const busy = 'http://198.51.100.7/someone-elses.iso';
  const bmc = await startBmc(t, { kind: 'all' }, [{ id: 'CD1', mediaTypes: ['CD'], image: busy }]);
  const { token } = await login(bmc);
  const r = await call(bmc, 'POST', `${CD}/Actions/VirtualMedia.InsertMedia`, { Image: 'http://127.0.0.1:1/x.iso' }, { 'x-auth-token': token });
  assert.equal(r.status, 409);
  assert.equal(r.json.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.8.ResourceInUse');
  const slot = (await call(bmc, 'GET', CD, undefined, { 'x-auth-token': token })).json;
  assert.deepEqual([slot.Image, slot.Inserted], [busy, true]);
  assert.deepEqual(bmc.standIn.state.actions, []);
});

// Debian's Redfish clients, against the stand-in on loopback: they must list its managers and virtual media.
// The stand-in runs in this process: the clients must run asynchronously, or nobody answers them.
const run = promisify(execFile);
const hasTool = (name: string): boolean => ['/usr/bin', '/usr/local/bin'].some((dir) => existsSync(join(dir, name)));
/** As root, npm test installs both first (controller/lab/prereq.ts), so a missing one fails there instead of skipping. */
const asRoot = process.getuid?.() === 0;

test('redfish stand-in: redfishtool (DMTF) lists its managers and reads its virtual media', { skip: !asRoot && !hasTool('redfishtool') && 'redfishtool is not installed (apt-get install redfishtool; npm test as root installs it)' }, async (t) => {
  const bmc = await startBmc(t);
  const rf = async (...args: string[]): Promise<unknown> => {
    const r = await run('redfishtool', ['-r', bmc.base.replace('https://', ''), '-u', USER, '-p', PASSWORD, '-S', 'Always', '-A', 'Session', ...args], { encoding: 'utf8', timeout: 30_000 });
    return JSON.parse(r.stdout);
  };
  const list = (await rf('Managers', 'list')) as { Members: { Id: string }[] };
  assert.deepEqual(list.Members.map((m) => m.Id), ['1']);
  const media = (await rf('raw', 'GET', '/redfish/v1/Managers/1/VirtualMedia')) as { Members: unknown[] };
  assert.equal(media.Members.length, 2);
  const cd = (await rf('raw', 'GET', CD)) as { Actions: Record<string, unknown> };
  assert.ok('#VirtualMedia.InsertMedia' in cd.Actions);
});

test('redfish stand-in: ilorest (HPE) logs in and lists its managers and virtual media', { skip: !asRoot && !hasTool('ilorest') && 'ilorest is not installed (apt-get install ilorest; npm test as root installs it)' }, async (t) => {
  const bmc = await startBmc(t);
  // ilorest keeps its cache and log under HOME: a directory of this test's own.
  const home = mkdtempSync(join(tmpdir(), 'twoway-ilorest-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const get = async (path: string): Promise<{ Members: { '@odata.id': string }[] }> => {
    const r = await run('ilorest', ['--nologo', '--cache-dir', join(home, 'cache'), 'rawget', path, '--url', bmc.base, '-u', USER, '-p', PASSWORD], { encoding: 'utf8', timeout: 60_000, cwd: home, env: { ...process.env, HOME: home } });
    return JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  };
  assert.deepEqual((await get('/redfish/v1/Managers/')).Members, [{ '@odata.id': '/redfish/v1/Managers/1' }]);
  assert.deepEqual((await get('/redfish/v1/Managers/1/VirtualMedia/')).Members.map((m) => m['@odata.id']), [CD, '/redfish/v1/Managers/1/VirtualMedia/USB1']);
});
