/**
 * Ed25519 key pairs in OpenSSH's own file formats, made in this process: `ssh-keygen` costs a
 * process start of tens of milliseconds per key, which at hundreds of fleet nodes was seconds of
 * `lab up`. The private key file is the unencrypted "openssh-key-v1" format (OpenSSH's PROTOCOL.key),
 * the only one OpenSSH reads Ed25519 keys from; the public key is the authorized_keys line.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface OpensshKeyPair {
  /** The private key file's text (-----BEGIN OPENSSH PRIVATE KEY----- ...). */
  privateKey: string;
  /** `ssh-ed25519 <base64> <comment>`. */
  publicKey: string;
}

const KEY_TYPE = 'ssh-ed25519';

/** An SSH wire-format string: a 32-bit big-endian length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** The key file from the raw 32-byte seed and public key (the check word is random in OpenSSH too). */
export function renderOpensshEd25519(seed: Buffer, publicKey: Buffer, comment: string, checkWord: number): OpensshKeyPair {
  if (seed.length !== 32 || publicKey.length !== 32) throw new Error('an Ed25519 seed and public key are 32 bytes each');
  const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(publicKey)]);
  const unpadded = Buffer.concat([
    uint32(checkWord),
    uint32(checkWord),
    sshString(KEY_TYPE),
    sshString(publicKey),
    // OpenSSH stores the 64-byte "secret key" of ref10: the seed followed by the public key.
    sshString(Buffer.concat([seed, publicKey])),
    sshString(comment),
  ]);
  // Padded to the cipher's block size (8 for "none") with the bytes 1, 2, 3, ...
  const padding = Buffer.from(Array.from({ length: (8 - (unpadded.length % 8)) % 8 }, (_, i) => i + 1));
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([unpadded, padding])),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    privateKey: ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n'),
    publicKey: `${KEY_TYPE} ${publicBlob.toString('base64')} ${comment}`,
  };
}

export function generateOpensshEd25519(comment: string): OpensshKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwkPrivate = privateKey.export({ format: 'jwk' });
  const jwkPublic = publicKey.export({ format: 'jwk' });
  if (jwkPrivate.d === undefined || jwkPublic.x === undefined) throw new Error('Node did not export the Ed25519 key as JWK');
  return renderOpensshEd25519(Buffer.from(jwkPrivate.d, 'base64url'), Buffer.from(jwkPublic.x, 'base64url'), comment, randomBytes(4).readUInt32BE());
}
