/**
 * How the stand-in BMC reaches a virtual-media image, the way BMCs do: a HEAD for the size, then
 * ranged GETs for the first and the last block, from its own namespace, with its own TLS client and
 * trust setting. Every request is bounded by one deadline; the result says what failed, in words a
 * BMC would put in its message.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

/** The BMC's trust in HTTPS image servers: any certificate, a CA file, or one certificate's SHA-256 fingerprint. */
export type ImageTrust = { kind: 'all' } | { kind: 'ca'; caPem: string } | { kind: 'pin'; sha256: string };

export interface ImageFetchOptions {
  trust: ImageTrust;
  deadlineMs: number;
  /** Bytes each ranged GET asks for. */
  blockBytes?: number;
}

export type ImageFetchResult = { ok: true; bytes?: number; requests: number } | { ok: false; reason: string; code?: string };

const DEFAULT_BLOCK = 64 * 1024;

export async function fetchImage(url: string, options: ImageFetchOptions): Promise<ImageFetchResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, reason: 'the image URI is not a valid URL', code: 'EINVALIDURI' };
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return { ok: false, reason: `transfer protocol ${target.protocol.replace(':', '')} is not supported`, code: 'EPROTO' };
  const deadline = AbortSignal.timeout(options.deadlineMs);
  const block = options.blockBytes ?? DEFAULT_BLOCK;
  try {
    const head = await request(target, 'HEAD', undefined, options.trust, deadline);
    if (head.status < 200 || head.status > 299) return { ok: false, reason: `the image server answered HEAD with HTTP ${head.status}`, code: `HTTP${head.status}` };
    const size = head.length;
    const ranges = [`bytes=0-${block - 1}`];
    if (size !== undefined && size > block) ranges.push(`bytes=${Math.max(block, size - block)}-${size - 1}`);
    for (const range of ranges) {
      const got = await request(target, 'GET', range, options.trust, deadline);
      if (got.status !== 206 && got.status !== 200) return { ok: false, reason: `the image server answered GET (${range}) with HTTP ${got.status}`, code: `HTTP${got.status}` };
    }
    return { ok: true, ...(size === undefined ? {} : { bytes: size }), requests: 1 + ranges.length };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (deadline.aborted) return { ok: false, reason: `no answer within ${options.deadlineMs} ms`, code: 'ETIMEDOUT' };
    return { ok: false, reason: describe(e), ...(e.code === undefined ? {} : { code: e.code }) };
  }
}

function describe(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ECONNRESET':
      return 'connection reset';
    default:
      return e.code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO|PIN/.test(e.code) ? `TLS certificate not trusted (${e.code})` : e.message;
  }
}

interface Answer {
  status: number;
  length?: number;
}

/** One request; a body is read up to a block and then dropped (a BMC reads what it mounts, not all of it). */
function request(url: URL, method: 'HEAD' | 'GET', range: string | undefined, trust: ImageTrust, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'user-agent': 'twoway-lab-bmc/1.0', ...(range === undefined ? {} : { range }) };
    const common = { method, headers, signal, agent: false as const };
    const req =
      url.protocol === 'https:'
        ? https.request(url, { ...common, ...tlsOptions(trust) })
        : http.request(url, common);
    req.on('response', (res) => {
      const length = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(length === undefined || !Number.isFinite(length) ? {} : { length }) }));
      res.on('error', reject);
    });
    if (trust.kind === 'pin') {
      req.on('socket', (socket) => {
        socket.once('secureConnect', () => {
          const cert = (socket as TLSSocket).getPeerCertificate();
          const seen = cert?.raw === undefined ? '' : createHash('sha256').update(cert.raw).digest('hex');
          if (seen !== normalizePin(trust.sha256)) req.destroy(Object.assign(new Error('certificate fingerprint does not match the pinned one'), { code: 'ERR_CERT_PIN_MISMATCH' }));
        });
      });
    }
    req.on('error', reject);
    req.end();
  });
}

function tlsOptions(trust: ImageTrust): https.RequestOptions {
  switch (trust.kind) {
    case 'all':
    case 'pin':
      // 'pin' checks the fingerprint itself once the handshake is done (above).
      return { rejectUnauthorized: false };
    case 'ca':
      return { ca: trust.caPem, rejectUnauthorized: true };
  }
}

/** "AB:CD:.." or "abcd.." to lower-case hex without colons. */
export function normalizePin(pin: string): string {
  return pin.replace(/:/g, '').toLowerCase();
}
