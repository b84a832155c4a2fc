/**
 * The ephemeral certificate for the run's HTTPS listener: a fresh ECDSA P-256 key, self-signed,
 * valid for a day, with the listener's addresses as subject alternative names. Agents pin it by its
 * SHA-256 fingerprint, so no CA is involved and nothing outlives the run.
 *
 * node:crypto makes the key and signs; the certificate's DER is put together here with
 * controller/wire/der.ts (an X.509 library cost the controller ~20 MB of RSS just to load).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  boolean,
  certificateTime,
  explicit,
  ia5Bytes,
  implicit,
  isPrintable,
  objectIdentifier,
  octetString,
  printableString,
  sequence,
  setOf,
  smallInteger,
  unsignedInteger,
  utf8String,
} from './der.js';

export interface RunCertificate {
  certPem: string;
  keyPem: string;
  /** Upper-case hex pairs joined by ':', as Node's TLS socket reports fingerprint256. */
  fingerprint256: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo, base64: curl's --pinnedpubkey form. */
  spkiSha256Base64: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const SERIAL_BYTES = 12;

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
} as const;

// GeneralName's choice tags (RFC 5280 4.2.1.6).
const DNS_NAME_TAG = 2;
const IP_ADDRESS_TAG = 7;
// KeyUsage's digitalSignature is bit 0, the top bit of the first byte; the 7 bits after it are unused.
const DIGITAL_SIGNATURE = 0x80;
const DIGITAL_SIGNATURE_UNUSED_BITS = 7;

/** Name: one RDN holding the CN; PrintableString when its characters allow, as X.509 tools prefer. */
function commonNameOnly(commonName: string): Buffer {
  const value = isPrintable(commonName) ? printableString(commonName) : utf8String(commonName);
  return sequence(setOf(sequence(objectIdentifier(OID.commonName), value)));
}

const withoutZone = (address: string): string => address.replace(/%.*$/, '');

/** The 4 or 16 network-order bytes of an IP address; a zone ("%eth0") has no place in a certificate. */
export function ipAddressBytes(address: string): Buffer {
  const bare = withoutZone(address);
  if (isIP(bare) === 4) return Buffer.from(bare.split('.').map(Number));
  if (isIP(bare) !== 6) throw new TypeError(`"${address}" is not an IP address`);
  // A trailing dotted quad (::ffff:192.0.2.1) stands for the last two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1];
  const tail = quad === undefined ? Buffer.alloc(0) : ipAddressBytes(quad);
  let groupsText = quad === undefined ? bare : bare.slice(0, -quad.length);
  if (groupsText.endsWith(':') && !groupsText.endsWith('::')) groupsText = groupsText.slice(0, -1);
  const [head, rest] = groupsText.split('::') as [string, string | undefined];
  const groupBytes = (group: string): number[] => [parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff];
  const bytesOf = (part: string | undefined): number[] => (part === undefined || part === '' ? [] : part.split(':').flatMap(groupBytes));
  const left = bytesOf(head);
  const right = [...bytesOf(rest), ...tail];
  return Buffer.from([...left, ...new Array<number>(16 - left.length - right.length).fill(0), ...right]);
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

function subjectAltName(addresses: readonly string[]): Buffer {
  const names = addresses.map((a) =>
    isIP(withoutZone(a)) ? implicit(IP_ADDRESS_TAG, ipAddressBytes(a)) : implicit(DNS_NAME_TAG, ia5Bytes(a)),
  );
  return extension(OID.subjectAltName, false, sequence(...names));
}

/** A positive serial of exactly SERIAL_BYTES: the top bit cleared (not negative), the next set (no byte to strip). */
function randomSerial(): Buffer {
  const serial = randomBytes(SERIAL_BYTES);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

export async function createRunCertificate(addresses: readonly string[], commonName = 'twoway run'): Promise<RunCertificate> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const now = Date.now();
  const name = commonNameOnly(commonName.replace(/[,=+<>#;"\\]/g, ' '));
  const signatureAlgorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const extensions = [
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, bitString(Buffer.from([DIGITAL_SIGNATURE]), DIGITAL_SIGNATURE_UNUSED_BITS)),
    ...(addresses.length > 0 ? [subjectAltName(addresses)] : []),
  ];
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(randomSerial()),
    signatureAlgorithm,
    name,
    sequence(certificateTime(new Date(now - 60_000)), certificateTime(new Date(now + DAY_MS))),
    name,
    spki,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));
  const base64Lines = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
  const certPem = `-----BEGIN CERTIFICATE-----\n${base64Lines}-----END CERTIFICATE-----\n`;
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return {
    certPem,
    keyPem,
    fingerprint256: new NodeX509(der).fingerprint256,
    spkiSha256Base64: createHash('sha256').update(spki).digest('base64'),
  };
}
