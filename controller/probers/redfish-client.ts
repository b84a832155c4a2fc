/**
 * A small Redfish client for the BMC callback test (undici): session login and logout, GET and POST
 * with a deadline on every call, and the BMC's certificate always verified: pinned by SHA-256
 * fingerprint, by a CA file, or trusted on first use with the fingerprint recorded in a file (a
 * later run then pins it). Nothing here ever skips the check silently.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type { Agent, buildConnector } from 'undici';

type Undici = typeof import('undici');

/** How the BMC's certificate is trusted. */
export type BmcTrust = { kind: 'pin'; fingerprint256: string } | { kind: 'ca'; caPem: string } | { kind: 'tofu'; file: string };

export class RedfishError extends Error {
  readonly code: 'REDFISH_TLS' | 'REDFISH_TIMEOUT' | 'REDFISH_CONNECT' | 'REDFISH_AUTH';
  constructor(code: RedfishError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'RedfishError';
  }
}

export interface RedfishAnswer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** Colons and case do not matter in a fingerprint. */
export const sameFingerprint = (a: string, b: string): boolean => a.replace(/:/g, '').toUpperCase() === b.replace(/:/g, '').toUpperCase();

/** The fingerprint recorded for this BMC in a trust-on-first-use file ("address fingerprint" lines). */
export function recordedFingerprint(file: string, bmc: string): string | undefined {
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).find(([address]) => address === bmc)?.[1];
}

export class RedfishClient {
  /** Made by the first call, with undici loaded then: a run with no BMC to test never loads it. */
  private agent: Promise<{ undici: Undici; agent: Agent }> | undefined;
  private token: string | undefined;
  private sessionUri: string | undefined;
  /** What the TLS check concluded, for the evidence ("pinned", "CA", "first use: recorded ..."). */
  trustNote = '';

  constructor(
    private readonly base: string,
    private readonly bmc: string,
    private readonly trust: BmcTrust,
    private readonly callMs: number,
  ) {}

  private dispatcher(): Promise<{ undici: Undici; agent: Agent }> {
    this.agent ??= import('undici').then((undici) => ({ undici, agent: new undici.Agent({ connect: this.connector(undici.buildConnector, this.trust), connections: 2 }) }));
    return this.agent;
  }

  private connector(build: Undici['buildConnector'], trust: BmcTrust): buildConnector.connector {
    if (trust.kind === 'ca') {
      this.trustNote = 'verified against the CA file';
      return build({ ca: trust.caPem, rejectUnauthorized: true });
    }
    let pinned = trust.kind === 'pin' ? trust.fingerprint256 : recordedFingerprint(trust.file, this.bmc);
    // The pin is checked here, on the certificate the handshake presented, before any byte is sent.
    // No session resumption: a resumed session presents no certificate to check.
    const plain = build({ rejectUnauthorized: false, maxCachedSessions: 0 });
    return (options, callback) =>
      plain(options, (err, socket) => {
        if (err !== null) return callback(err, null);
        const seen = (socket as TLSSocket).getPeerCertificate().fingerprint256 as string | undefined;
        if (seen === undefined) {
          socket.destroy();
          return callback(new RedfishError('REDFISH_TLS', 'the BMC presented no certificate to check'), null);
        }
        if (pinned !== undefined && !sameFingerprint(seen, pinned)) {
          socket.destroy();
          return callback(new RedfishError('REDFISH_TLS', `the BMC's certificate ${seen} is not the pinned ${pinned}`), null);
        }
        if (pinned === undefined && trust.kind === 'tofu') {
          appendFileSync(trust.file, `${this.bmc} ${seen}\n`, { mode: 0o600 });
          this.trustNote = `first use: fingerprint ${seen} recorded in ${trust.file}`;
          // Recorded once: the client's later connections are held to it.
          pinned = seen;
        } else if (this.trustNote === '') this.trustNote = `pinned fingerprint ${pinned}`;
        return callback(null, socket);
      });
  }

  async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: object): Promise<RedfishAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', 'odata-version': '4.0' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== undefined) headers['x-auth-token'] = this.token;
    try {
      const { undici, agent } = await this.dispatcher();
      const res = await undici.request(new URL(path, this.base), {
        method,
        headers,
        dispatcher: agent,
        signal: AbortSignal.timeout(this.callMs),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    } catch (err) {
      throw asRedfishError(err, `${method} ${path}`, this.callMs);
    }
  }

  /** Opens a session (X-Auth-Token); the password goes only into the request body. */
  async login(user: string, password: string): Promise<void> {
    const r = await this.call('POST', '/redfish/v1/SessionService/Sessions', { UserName: user, Password: password });
    const token = r.headers['x-auth-token'];
    if (r.status !== 201 && r.status !== 200) throw new RedfishError('REDFISH_AUTH', `login as ${user} refused: HTTP ${r.status}${messageText(r.body) === '' ? '' : `: ${messageText(r.body)}`}`);
    if (typeof token !== 'string') throw new RedfishError('REDFISH_AUTH', 'login answered without an X-Auth-Token');
    this.token = token;
    const location = r.headers.location;
    this.sessionUri = typeof location === 'string' ? new URL(location, this.base).pathname : undefined;
  }

  /** Ends the session, if one was opened; never throws (the run goes on). */
  async logout(): Promise<boolean> {
    if (this.sessionUri === undefined) return this.token === undefined;
    try {
      const r = await this.call('DELETE', this.sessionUri);
      return r.status >= 200 && r.status < 300;
    } catch {
      return false;
    } finally {
      this.token = undefined;
      this.sessionUri = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.agent !== undefined) await (await this.agent).agent.close();
  }
}

function asRedfishError(err: unknown, what: string, ms: number): RedfishError {
  if (err instanceof RedfishError) return err;
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  const cause = e.cause instanceof RedfishError ? e.cause : undefined;
  if (cause !== undefined) return cause;
  const code = e.code ?? e.cause?.code ?? '';
  if (e.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return new RedfishError('REDFISH_TIMEOUT', `${what}: no answer within ${ms} ms`, { cause: err });
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return new RedfishError('REDFISH_TLS', `${what}: the BMC's certificate is not trusted (${code})`, { cause: err });
  return new RedfishError('REDFISH_CONNECT', `${what}: ${code === '' ? e.message : code}`, { cause: err });
}

/** The messages of a Redfish error body or a resource's `@Message.ExtendedInfo`, as "MessageId: Message" lines. */
export function extendedInfo(body: any): string[] {
  const list: unknown = body?.error?.['@Message.ExtendedInfo'] ?? body?.['@Message.ExtendedInfo'];
  if (!Array.isArray(list)) return typeof body?.error?.message === 'string' ? [String(body.error.message)] : [];
  return list.map((m: any) => `${String(m?.MessageId ?? '')}: ${String(m?.Message ?? '')}`.slice(0, 500));
}

function messageText(body: unknown): string {
  return extendedInfo(body).join('; ');
}
