/**
 * Validation of agent output. Agent output is untrusted input: the controller parses every line with
 * parseAgentEvent, which bounds sizes (EVENT_LIMITS) and rejects anything malformed. Hand-written so
 * the agent bundle stays dependency-free.
 */
import { EVENT_LIMITS as LIMIT, MAX_AGENT_LINE_BYTES, MAX_FTP_LINE_BYTES, PROBE_OUTCOMES, PROBE_PHASES } from './constants.js';
import type { AgentDone, AgentEvent, AgentHalfOpen, AgentPathMtu, Endpoint, FtpResult, ListeningSockets, ProbeResult, ProbeRetry, RouteFact } from './types.js';

export class AgentLineError extends Error {
  readonly code = 'TWOWAY_AGENT_LINE';
  constructor(message: string) {
    super(message);
    this.name = 'AgentLineError';
  }
}

type Obj = Record<string, unknown>;

function fail(field: string, expected: string): never {
  throw new AgentLineError(`field "${field}": expected ${expected}`);
}
function str(o: Obj, k: string, max: number): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length > max) fail(k, `a string of at most ${max} characters`);
  return v;
}
function optStr(o: Obj, k: string, max: number): string | undefined {
  return o[k] === undefined ? undefined : str(o, k, max);
}
function num(o: Obj, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(k, 'a non-negative finite number');
  return v;
}
function optNum(o: Obj, k: string): number | undefined {
  return o[k] === undefined ? undefined : num(o, k);
}
function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'an object');
  return v as Obj;
}
function arr(o: Obj, k: string, max: number): unknown[] {
  const v = o[k];
  if (!Array.isArray(v) || v.length > max) fail(k, `an array of at most ${max} items`);
  return v;
}
function oneOf<T extends string>(o: Obj, k: string, allowed: readonly T[]): T {
  const v = o[k];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(k, `one of ${allowed.join(', ')}`);
  return v as T;
}
function endpoint(v: unknown, field: string): Endpoint {
  const o = obj(v, field);
  return { address: str(o, 'address', LIMIT.field), port: num(o, 'port') };
}

function bool(o: Obj, k: string, field: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') fail(field, 'a boolean');
  return v;
}
function ftpResult(f: Obj): FtpResult {
  const result: FtpResult = { controlOk: bool(f, 'controlOk', 'ftp.controlOk'), loginOk: bool(f, 'loginOk', 'ftp.loginOk'), dataConnected: bool(f, 'dataConnected', 'ftp.dataConnected') };
  const pasvPort = optNum(f, 'pasvPort');
  if (pasvPort !== undefined) {
    if (!Number.isInteger(pasvPort) || pasvPort < 1 || pasvPort > 65535) fail('ftp.pasvPort', 'a port 1..65535');
    result.pasvPort = pasvPort;
  }
  const reply = optStr(f, 'reply', MAX_FTP_LINE_BYTES);
  if (reply !== undefined) result.reply = reply;
  return result;
}

function probeError(v: unknown): { code?: string; message: string } {
  const e = obj(v, 'error');
  const code = optStr(e, 'code', LIMIT.errorCode);
  const message = str(e, 'message', LIMIT.errorMessage);
  return code === undefined ? { message } : { code, message };
}

function retryResult(o: Obj): ProbeRetry {
  const retry: ProbeRetry = { t: 'retry', id: str(o, 'id', LIMIT.probeId), outcome: oneOf(o, 'outcome', PROBE_OUTCOMES), phase: oneOf(o, 'phase', PROBE_PHASES), ms: num(o, 'ms') };
  const bytes = optNum(o, 'bytes');
  if (bytes !== undefined) retry.bytes = bytes;
  if (o.error !== undefined) retry.error = probeError(o.error);
  return retry;
}

function pathMtuResult(o: Obj): AgentPathMtu {
  const m: AgentPathMtu = {
    t: 'pathmtu',
    to: str(o, 'to', LIMIT.field),
    measured: bool(o, 'measured', 'measured'),
    probes: arr(o, 'probes', LIMIT.mtuProbes).map((p) => {
      const x = obj(p, 'probes[]');
      return { size: num(x, 'size'), ok: bool(x, 'ok', 'probes[].ok') };
    }),
    command: str(o, 'command', LIMIT.errorMessage),
  };
  for (const k of ['mtu', 'below', 'interfaceMtu'] as const) {
    const v = optNum(o, k);
    if (v !== undefined) m[k] = v;
  }
  const reason = optStr(o, 'reason', LIMIT.errorMessage);
  if (reason !== undefined) m.reason = reason;
  return m;
}

/** Whether `text` takes more than `max` bytes as UTF-8 (counted without encoding it: no Buffer in this file). */
function utf8LongerThan(text: string, max: number): boolean {
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a string with more units is too long at once.
  if (text.length > max) return true;
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= max; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes > max;
}

function listeningSockets(l: Obj): ListeningSockets {
  const found: ListeningSockets = {
    measured: bool(l, 'measured', 'listening.measured'),
    sockets: arr(l, 'sockets', LIMIT.listeningSockets).map((e) => endpoint(e, 'listening.sockets[]')),
  };
  const reason = optStr(l, 'reason', LIMIT.errorMessage);
  if (reason !== undefined) found.reason = reason;
  return found;
}

/** Parse and validate one line of agent output. Throws AgentLineError naming the bad field. */
export function parseAgentEvent(line: string): AgentEvent {
  if (utf8LongerThan(line, MAX_AGENT_LINE_BYTES)) throw new AgentLineError(`line longer than ${MAX_AGENT_LINE_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new AgentLineError('not JSON');
  }
  const o = obj(raw, 'line');
  const t = oneOf(o, 't', ['agent', 'facts', 'probe', 'retry', 'pathmtu', 'halfopen', 'done', 'fatal'] as const);
  switch (t) {
    case 'agent':
      return { t, flavour: str(o, 'flavour', LIMIT.flavour), version: str(o, 'version', LIMIT.version), runtime: str(o, 'runtime', LIMIT.runtime), platform: str(o, 'platform', LIMIT.platform) };
    case 'facts':
      return {
        t,
        hostname: str(o, 'hostname', LIMIT.hostname),
        addresses: arr(o, 'addresses', LIMIT.addresses).map((a) => {
          const x = obj(a, 'addresses[]');
          return { iface: str(x, 'iface', LIMIT.field), address: str(x, 'address', LIMIT.field), family: oneOf(x, 'family', ['IPv4', 'IPv6'] as const) };
        }),
        routes: arr(o, 'routes', LIMIT.routes).map((r) => {
          const x = obj(r, 'routes[]');
          const route: RouteFact = { to: str(x, 'to', LIMIT.field) };
          const source = optStr(x, 'source', LIMIT.field);
          const iface = optStr(x, 'iface', LIMIT.field);
          const error = optStr(x, 'error', LIMIT.routeError);
          if (source !== undefined) route.source = source;
          if (iface !== undefined) route.iface = iface;
          if (error !== undefined) route.error = error;
          return route;
        }),
      };
    case 'probe': {
      const result: ProbeResult = {
        t,
        id: str(o, 'id', LIMIT.probeId),
        outcome: oneOf(o, 'outcome', PROBE_OUTCOMES),
        phase: oneOf(o, 'phase', PROBE_PHASES),
        ms: num(o, 'ms'),
      };
      const bytes = optNum(o, 'bytes');
      if (bytes !== undefined) result.bytes = bytes;
      if (o.local !== undefined) result.local = endpoint(o.local, 'local');
      const connectMs = optNum(o, 'connectMs');
      if (connectMs !== undefined) result.connectMs = connectMs;
      if (o.seen !== undefined) result.seen = endpoint(o.seen, 'seen');
      const fingerprint = optStr(o, 'fingerprint', LIMIT.fingerprint);
      if (fingerprint !== undefined) result.fingerprint = fingerprint;
      const httpStatus = optNum(o, 'httpStatus');
      if (httpStatus !== undefined) result.httpStatus = httpStatus;
      if (o.posts !== undefined) {
        result.posts = arr(o, 'posts', LIMIT.posts).map((p) => {
          const x = obj(p, 'posts[]');
          if (typeof x.ok !== 'boolean') fail('posts[].ok', 'a boolean');
          return { ms: num(x, 'ms'), ok: x.ok };
        });
      }
      if (o.hold !== undefined) {
        const h = obj(o.hold, 'hold');
        if (typeof h.push !== 'boolean') fail('hold.push', 'a boolean');
        if (typeof h.pong !== 'boolean') fail('hold.pong', 'a boolean');
        result.hold = { idleMs: num(h, 'idleMs'), push: h.push, pong: h.pong };
      }
      if (o.ftp !== undefined) result.ftp = ftpResult(obj(o.ftp, 'ftp'));
      if (o.error !== undefined) result.error = probeError(o.error);
      return result;
    }
    case 'retry':
      return retryResult(o);
    case 'pathmtu':
      return pathMtuResult(o);
    case 'halfopen': {
      if (typeof o.measured !== 'boolean') fail('measured', 'a boolean');
      const sample: AgentHalfOpen = {
        t,
        measured: o.measured,
        entries: arr(o, 'entries', LIMIT.halfOpenEntries).map((e) => {
          const x = obj(e, 'entries[]');
          return { local: endpoint(x.local, 'entries[].local'), remote: endpoint(x.remote, 'entries[].remote') };
        }),
      };
      if (o.listening !== undefined) sample.listening = listeningSockets(obj(o.listening, 'listening'));
      return sample;
    }
    case 'done': {
      const done: AgentDone = { t, ms: num(o, 'ms') };
      if (o.hostTcp !== undefined) {
        const h = obj(o.hostTcp, 'hostTcp');
        done.hostTcp = { outSegs: num(h, 'outSegs'), retransSegs: num(h, 'retransSegs') };
      }
      return done;
    }
    case 'fatal':
      return { t, message: str(o, 'message', LIMIT.fatalMessage) };
  }
}
