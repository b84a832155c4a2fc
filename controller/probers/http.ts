/**
 * HTTP(S) forward probe of a web interface (iLO, OA, VC, switches): one GET / with undici, over a
 * connection made here first so the TLS session can be read: protocol, cipher, and the certificate the device
 * presents (subject, issuer, validity, self-signed, fingerprint). Certificates are not verified (these
 * devices mostly carry self-signed ones); what they are is reported instead. Any HTTP answer is "open".
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Client } from 'undici';
import { outcomeOfConnectError } from './tcp.js';
import type { ForwardResult, Prober } from './types.js';
import type { ServiceDetails, TlsDetails } from '../../src/evidence.js';
import { hostPort } from '../../src/endpoint.js';

/** Most of a device's login page we read before closing: enough to know it answered. */
const MAX_BODY_BYTES = 64 * 1024;

type Phase = 'connect' | 'tls' | 'response' | 'body';

export function tlsDetails(socket: TLSSocket): TlsDetails {
  const cert: PeerCertificate = socket.getPeerCertificate();
  const cipher = socket.getCipher();
  const session = { protocol: socket.getProtocol(), cipher: cipher.name, ...(typeof socket.alpnProtocol === 'string' ? { alpn: socket.alpnProtocol } : {}) };
  if (cert === null || Object.keys(cert).length === 0) return { ...session, certificate: null };
  const validTo = new Date(cert.valid_to);
  const now = Date.now();
  return {
    ...session,
    certificate: {
      subject: cert.subject?.CN ?? null,
      issuer: cert.issuer?.CN ?? null,
      subjectAltName: cert.subjectaltname ?? null,
      validFrom: new Date(cert.valid_from).toISOString(),
      validTo: validTo.toISOString(),
      expired: validTo.getTime() < now,
      daysLeft: Math.floor((validTo.getTime() - now) / 86_400_000),
      selfSigned: JSON.stringify(cert.subject) === JSON.stringify(cert.issuer),
      fingerprint256: cert.fingerprint256,
    },
  };
}

export function httpProber(proto: 'http' | 'https'): Prober {
  return async (target, deadlineMs, signal) => {
    if (signal?.aborted) return { outcome: 'error', ms: 0, error: { code: 'ABORTED', message: 'run interrupted' } };
    const started = performance.now();
    let phase = 'connect' as Phase;
    let tls: TlsDetails | undefined;
    let http: ServiceDetails['http'];
    let socket: Socket | undefined;
    let client: Client | undefined;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), deadlineMs);
    const onAbort = (): void => deadline.abort();
    signal?.addEventListener('abort', onAbort, { once: true });

    /** The connection (and TLS handshake) first, ours, so the TLS session can be read. */
    const connected = new Promise<Socket>((resolve, reject) => {
      const options = { host: target.address, port: target.port };
      const s: Socket =
        proto === 'https' ? tlsConnect({ ...options, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }) : netConnect(options);
      socket = s;
      s.once('connect', () => {
        phase = proto === 'https' ? 'tls' : 'response';
        if (proto === 'http') resolve(s);
      });
      s.once('secureConnect', () => {
        phase = 'response';
        tls = tlsDetails(s as TLSSocket);
        resolve(s);
      });
      s.once('error', (err) => {
        if (phase !== 'response') reject(err);
      });
      deadline.signal.addEventListener('abort', () => reject(new Error('deadline')), { once: true });
    });
    const done = (result: Omit<ForwardResult, 'ms'>): ForwardResult => ({ ...result, ms: Math.round(performance.now() - started) });
    try {
      const open = await connected;
      // undici is loaded once a web port answers: a run whose nodes serve none (servers with SSH only) never loads it.
      const { Client } = await import('undici');
      client = new Client(`${proto}://${hostPort(target.address, target.port)}`, {
        // Handed over on a later turn: undici hangs on a connector that answers within the call (undici 7).
        connect: (_options, callback) => setImmediate(() => callback(null, open)),
        headersTimeout: deadlineMs,
        bodyTimeout: deadlineMs,
      });
      const response = await client.request({ path: '/', method: 'GET', headers: { 'user-agent': 'twoway' }, signal: deadline.signal });
      const header = (name: string): string | undefined => {
        const v = response.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      // The answer is in once the headers are: a slow login page after them does not make the port stalled.
      http = { status: response.statusCode, server: header('server') ?? null, location: header('location') ?? null };
      phase = 'body';
      let bytes = 0;
      for await (const chunk of response.body) {
        bytes += (chunk as Buffer).length;
        if (bytes >= MAX_BODY_BYTES) break;
      }
      return done({ outcome: 'open', details: { http, ...(tls === undefined ? {} : { tls }) } });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const details = tls === undefined ? {} : { details: { tls } };
      if (signal?.aborted) return done({ outcome: 'error', error: { code: 'ABORTED', message: 'run interrupted' }, ...details });
      if (phase === 'body' && http !== undefined) return done({ outcome: 'open', details: { http: { ...http, bodyCut: true }, ...(tls === undefined ? {} : { tls }) } });
      if (deadline.signal.aborted) {
        if (phase === 'connect') return done({ outcome: 'timeout', error: { code: 'ETIMEDOUT', message: `no answer from ${target.address}:${target.port} within ${deadlineMs} ms` } });
        const what = phase === 'tls' ? 'the TLS handshake did not finish' : 'no HTTP answer';
        return done({ outcome: 'no-response', error: { code: `TWOWAY_${phase.toUpperCase()}_TIMEOUT`, message: `connected, ${what} within ${deadlineMs} ms` }, ...details });
      }
      if (phase === 'tls') return done({ outcome: 'tls-error', error: { code: e.code ?? 'TLS', message: e.message } });
      if (phase === 'connect') return done({ outcome: outcomeOfConnectError(e.code), error: { code: e.code ?? 'ERROR', message: e.message } });
      return done({ outcome: 'no-response', error: { code: e.code ?? 'ERROR', message: `connected, but the HTTP exchange failed: ${e.message}` }, ...details });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket?.destroy();
      await client?.destroy().catch(() => undefined);
    }
  };
}
