/** The run's certificate as Node, OpenSSL's command line and a real TLS handshake on loopback read it. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { checkServerIdentity, connect, createServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import { createRunCertificate, ipAddressBytes } from '../../../controller/wire/cert.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const OPENSSL = '/usr/bin/openssl';

test('cert: Node parses it: self-issued CN, the addresses as SANs, valid from a minute ago for a day, self-signed, not a CA', async () => {
  const before = Date.now();
  const cert = await createRunCertificate(['127.0.0.1', '2001:db8::a:b', 'host.example']);
  const after = Date.now();
  const x = new X509Certificate(cert.certPem);
  assert.equal(x.subject, 'CN=twoway run');
  assert.equal(x.issuer, 'CN=twoway run');
  assert.equal(x.subjectAltName, 'IP Address:127.0.0.1, IP Address:2001:DB8:0:0:0:0:A:B, DNS:host.example');
  // The times hold whole seconds, so a bound may lose up to a second.
  const from = Date.parse(x.validFrom);
  const to = Date.parse(x.validTo);
  assert.ok(from >= before - 61_000 && from <= after - 59_000, `validFrom ${x.validFrom}`);
  assert.ok(to >= before + DAY_MS - 1000 && to <= after + DAY_MS, `validTo ${x.validTo}`);
  assert.equal(x.verify(x.publicKey), true);
  assert.equal(x.ca, false);
  // Node's keyUsage is the extended key usage, which the certificate leaves out.
  assert.equal(x.keyUsage, undefined);
  assert.equal(x.checkPrivateKey(createPrivateKey(cert.keyPem)), true);
  assert.match(cert.keyPem, /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/);
  assert.match(cert.certPem, /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/);
});

test('cert: the fingerprint and the SPKI pin are what Node computes from the certificate and the key', async () => {
  const cert = await createRunCertificate(['127.0.0.1']);
  const x = new X509Certificate(cert.certPem);
  assert.equal(cert.fingerprint256, x.fingerprint256);
  assert.equal(cert.fingerprint256, createHash('sha256').update(x.raw).digest('hex').toUpperCase().match(/../g)!.join(':'));
  const spkiOfKey = createPublicKey(createPrivateKey(cert.keyPem)).export({ type: 'spki', format: 'der' });
  assert.equal(cert.spkiSha256Base64, createHash('sha256').update(spkiOfKey).digest('base64'));
});

test('cert: each certificate has its own key and a positive 12-byte serial', async () => {
  const [a, b] = await Promise.all([createRunCertificate([]), createRunCertificate([])]);
  const serials = [a!, b!].map((c) => new X509Certificate(c.certPem).serialNumber);
  for (const serial of serials) assert.match(serial, /^[4-7][0-9A-F]{23}$/);
  assert.notEqual(serials[0], serials[1]);
  assert.notEqual(a!.fingerprint256, b!.fingerprint256);
  assert.notEqual(a!.spkiSha256Base64, b!.spkiSha256Base64);
});

test('cert: no addresses, no SAN; the common name loses the characters a DN would read as syntax; non-ASCII names survive', async () => {
  const bare = new X509Certificate((await createRunCertificate([], 'twoway lab corporate CA')).certPem);
  assert.equal(bare.subjectAltName, undefined);
  assert.equal(bare.subject, 'CN=twoway lab corporate CA');
  assert.equal(new X509Certificate((await createRunCertificate([], 'a,b=c+d"e')).certPem).subject, 'CN=a b c d e');
  assert.equal(new X509Certificate((await createRunCertificate([], 'twoway läb')).certPem).subject, 'CN=twoway läb');
});

test('cert: IP addresses become their 4 or 16 network-order bytes, zones dropped, embedded IPv4 kept', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', '7f000001'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['2001:db8::a:b', '20010db80000000000000000000a000b'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['1:2:3:4:5:6:7.8.9.10', '0001000200030004000500060708090a'],
    ['a::', '000a0000000000000000000000000000'],
  ];
  for (const [address, bytes] of cases) assert.equal(ipAddressBytes(address).toString('hex'), bytes, address);
  assert.throws(() => ipAddressBytes('host.example'), TypeError);
});

async function handshake(t: TestContext, certPem: string, keyPem: string, options: { ca?: string }): Promise<TLSSocket> {
  const server = createServer({ cert: certPem, key: keyPem }, (socket) => socket.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const client = connect({ host: '127.0.0.1', port, ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }) });
  t.after(() => client.destroy());
  await once(client, 'secureConnect');
  return client;
}

test('cert: a TLS server on loopback serves it; the client sees the returned fingerprint', async (t) => {
  const cert = await createRunCertificate(['127.0.0.1']);
  const client = await handshake(t, cert.certPem, cert.keyPem, {});
  assert.equal(client.getPeerCertificate().fingerprint256, cert.fingerprint256);
});

test('cert: a client that trusts it verifies the chain and the IP SAN; a name not in the SAN fails the identity check', async (t) => {
  const cert = await createRunCertificate(['127.0.0.1']);
  const client = await handshake(t, cert.certPem, cert.keyPem, { ca: cert.certPem });
  assert.equal(client.authorized, true);
  const peer: PeerCertificate = client.getPeerCertificate();
  assert.equal(checkServerIdentity('127.0.0.1', peer), undefined);
  assert.equal((checkServerIdentity('127.0.0.2', peer) as NodeJS.ErrnoException | undefined)?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('cert: openssl x509 -text reads it', { skip: existsSync(OPENSSL) ? false : `${OPENSSL} missing` }, async () => {
  const cert = await createRunCertificate(['127.0.0.1', '::1', 'host.example']);
  const text = await new Promise<string>((resolve, reject) => {
    const child = execFile(OPENSSL, ['x509', '-noout', '-text'], { timeout: 10_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    child.stdin!.end(cert.certPem);
  });
  assert.match(text, /Version: 3 \(0x2\)/);
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(text, /Issuer: CN ?= ?twoway run/);
  assert.match(text, /Subject: CN ?= ?twoway run/);
  assert.match(text, /ASN1 OID: prime256v1/);
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
  assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
  assert.match(text, /IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1, DNS:host\.example/);
});
