/**
 * The ephemeral certificate for the run's HTTPS listener: a fresh ECDSA P-256 key, self-signed,
 * valid for a day, with the listener's addresses as subject alternative names. Agents pin it by its
 * SHA-256 fingerprint, so no CA is involved and nothing outlives the run.
 */
import { createHash, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
// @peculiar/x509 uses tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export interface RunCertificate {
  certPem: string;
  keyPem: string;
  /** Upper-case hex pairs joined by ':', as Node's TLS socket reports fingerprint256. */
  fingerprint256: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo, base64: curl's --pinnedpubkey form. */
  spkiSha256Base64: string;
}

export function spkiSha256Base64(certPem: string): string {
  const spki = new NodeX509(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function createRunCertificate(addresses: readonly string[], commonName = 'twoway run'): Promise<RunCertificate> {
  const crypto = webcrypto as unknown as Crypto;
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const sans = addresses.map((a) => (isIP(a) ? { type: 'ip' as const, value: a } : { type: 'dns' as const, value: a }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('hex'),
      name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, ' ')}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + DAY_MS),
      keys,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
      ],
    },
    crypto,
  );
  const certPem = cert.toString('pem');
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { certPem, keyPem, fingerprint256: new NodeX509(certPem).fingerprint256, spkiSha256Base64: spkiSha256Base64(certPem) };
}
