/** The DER encoder against known byte vectors (X.690, RFC 5280's OIDs) and against Node's own SPKI encoding. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import {
  bitString,
  boolean,
  certificateTime,
  DerError,
  encodeLength,
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
} from '../../../controller/wire/der.js';

const hex = (b: Buffer): string => b.toString('hex');
const isDerError = (e: unknown): boolean => e instanceof DerError && e.code === 'TWOWAY_DER';

test('der: lengths use the short form below 128 and the long form with minimal length bytes from 128 on', () => {
  assert.equal(hex(encodeLength(0)), '00');
  assert.equal(hex(encodeLength(127)), '7f');
  assert.equal(hex(encodeLength(128)), '8180');
  assert.equal(hex(encodeLength(255)), '81ff');
  assert.equal(hex(encodeLength(256)), '820100');
  assert.equal(hex(encodeLength(65535)), '82ffff');
  assert.equal(hex(encodeLength(65536)), '83010000');
  assert.throws(() => encodeLength(-1), isDerError);
  // The length lands in front of the content it measures.
  assert.equal(hex(octetString(Buffer.alloc(127)).subarray(0, 2)), '047f');
  assert.equal(hex(octetString(Buffer.alloc(128)).subarray(0, 3)), '048180');
  assert.equal(octetString(Buffer.alloc(65536)).length, 1 + 4 + 65536);
});

test('der: object identifiers from dotted strings, the first two arcs joined, big arcs in base 128', () => {
  assert.equal(hex(objectIdentifier('1.2.840.10045.2.1')), '06072a8648ce3d0201');
  assert.equal(hex(objectIdentifier('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
  assert.equal(hex(objectIdentifier('2.5.4.3')), '0603550403');
  assert.equal(hex(objectIdentifier('2.5.29.17')), '0603551d11');
  // X.690's own example: 2.999.3, whose joined first value (1079) takes two base-128 groups.
  assert.equal(hex(objectIdentifier('2.999.3')), '0603883703');
  for (const bad of ['', '1', '3.1', '1.40', '0.40.1', '1.2.x', '1..2', '1.02', '-1.2']) {
    assert.throws(() => objectIdentifier(bad), isDerError, bad);
  }
});

test('der: integers are positive, minimal, and get a 0x00 in front when the top bit is set', () => {
  assert.equal(hex(unsignedInteger(Buffer.from([0x80]))), '02020080');
  assert.equal(hex(unsignedInteger(Buffer.from([0x7f]))), '02017f');
  assert.equal(hex(unsignedInteger(Buffer.from([0x00, 0x00, 0x01]))), '020101');
  assert.equal(hex(unsignedInteger(Buffer.from([0x00, 0x80]))), '02020080');
  assert.equal(hex(unsignedInteger(Buffer.from([0x00]))), '020100');
  assert.equal(hex(unsignedInteger(Buffer.alloc(0))), '020100');
  assert.equal(hex(smallInteger(0)), '020100');
  assert.equal(hex(smallInteger(2)), '020102');
  assert.equal(hex(smallInteger(128)), '02020080');
  assert.equal(hex(smallInteger(256)), '02020100');
  assert.throws(() => smallInteger(-1), isDerError);
  assert.throws(() => smallInteger(1.5), isDerError);
});

test('der: booleans, octet strings and bit strings', () => {
  assert.equal(hex(boolean(true)), '0101ff');
  assert.equal(hex(boolean(false)), '010100');
  assert.equal(hex(octetString(Buffer.alloc(0))), '0400');
  assert.equal(hex(octetString(Buffer.from([0x30, 0x00]))), '04023000');
  assert.equal(hex(bitString(Buffer.from([0xab, 0xcd]))), '030300abcd');
  assert.equal(hex(bitString(Buffer.alloc(0))), '030100');
  // KeyUsage digitalSignature: one named bit, the seven after it unused.
  assert.equal(hex(bitString(Buffer.from([0x80]), 7)), '03020780');
  assert.throws(() => bitString(Buffer.from([0x81]), 7), isDerError, 'an unused bit that is set');
  assert.throws(() => bitString(Buffer.from([0x80]), 8), isDerError);
  assert.throws(() => bitString(Buffer.alloc(0), 1), isDerError);
});

test('der: strings: UTF8String as UTF-8, PrintableString only for its character set, IA5 only ASCII', () => {
  assert.equal(hex(utf8String('é')), '0c02c3a9');
  assert.equal(hex(printableString('twoway run')), '130a' + Buffer.from('twoway run').toString('hex'));
  assert.equal(isPrintable("A-z 0'()+,./:=?"), true);
  for (const text of ['a@b', 'a*b', 'läb', 'a_b']) {
    assert.equal(isPrintable(text), false, text);
    assert.throws(() => printableString(text), isDerError, text);
  }
  assert.equal(hex(ia5Bytes('host.example')), Buffer.from('host.example').toString('hex'));
  assert.throws(() => ia5Bytes('hö.example'), isDerError);
});

test('der: times are UTCTime for 1950-2049 and GeneralizedTime otherwise, in whole UTC seconds', () => {
  const time = (iso: string): string => {
    const b = certificateTime(new Date(iso));
    return `${b[0]!.toString(16)} ${b.subarray(2, 2 + b[1]!).toString('latin1')}`;
  };
  assert.equal(time('2026-03-04T05:06:07.890Z'), '17 260304050607Z');
  assert.equal(time('1950-01-01T00:00:00Z'), '17 500101000000Z');
  assert.equal(time('2049-12-31T23:59:59Z'), '17 491231235959Z');
  assert.equal(time('1949-12-31T23:59:59Z'), '18 19491231235959Z');
  assert.equal(time('2050-01-01T00:00:00Z'), '18 20500101000000Z');
  assert.equal(hex(certificateTime(new Date('2026-03-04T05:06:07Z'))).slice(0, 4), '170d');
  assert.equal(hex(certificateTime(new Date('2050-01-01T00:00:00Z'))).slice(0, 4), '180f');
  assert.throws(() => certificateTime(new Date(NaN)), isDerError);
});

test('der: sequences concatenate in order, SET OF sorts its elements, context tags explicit and implicit', () => {
  assert.equal(hex(sequence()), '3000');
  assert.equal(hex(sequence(smallInteger(2), smallInteger(1))), '3006020102020101');
  assert.equal(hex(setOf(smallInteger(2), smallInteger(1))), '3106020101020102');
  assert.equal(hex(explicit(0, smallInteger(2))), 'a003020102');
  assert.equal(hex(explicit(3, sequence())), 'a3023000');
  assert.equal(hex(implicit(7, Buffer.from([127, 0, 0, 1]))), '87047f000001');
  assert.equal(hex(implicit(2, ia5Bytes('a'))), '820161');
  assert.equal(hex(implicit(1, smallInteger(5), true)), 'a103020105');
  assert.throws(() => implicit(31, Buffer.alloc(0)), isDerError);
  assert.throws(() => explicit(-1, sequence()), isDerError);
});

test('der: an EC SubjectPublicKeyInfo built from its parts equals the one Node exports', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const built = sequence(sequence(objectIdentifier('1.2.840.10045.2.1'), objectIdentifier('1.2.840.10045.3.1.7')), bitString(point));
  assert.deepEqual(built, publicKey.export({ type: 'spki', format: 'der' }));
});
