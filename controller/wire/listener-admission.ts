/**
 * Which requests the callback listener accepts: one carrying a node's token and one of that node's
 * planned probe ids, for the probe's endpoint, method, protocol and kind of port. An admitted
 * request goes into the ledger; anything else is counted there as stray, with the reason.
 */
import type { IncomingMessage } from 'node:http';
import { PATHS, TOKEN_HEADER, type Endpoint, type PlannedProbe, type WebProto } from '../../src/protocol.js';
import type { Ledger, LedgerRequest } from './ledger.js';
import { localOf, peerOf } from './listener-sockets.js';
import type { RunTokens } from './tokens.js';
import type { SourceBinding } from './source-binding.js';

/** The server a request came in on: a probe is only accepted on the protocol and kind of port its plan names. */
export interface Entrance {
  proto: WebProto;
  alternate: boolean;
}

export interface Admitted {
  node: string;
  probe: PlannedProbe;
  peer: Endpoint;
  entry: LedgerRequest;
}

/** What admission checks a request against: the run's tokens and each node's plan. */
export interface AdmissionRules {
  tokens: RunTokens;
  /** The planned probe with this id for this node, if there is one. */
  findProbe(node: string, probeId: string): PlannedProbe | undefined;
  /** Which sources may use each node's token; without it, any. */
  sources?: SourceBinding;
}

/**
 * A request with a node's token and one of its planned probes, for this endpoint, protocol and
 * port, goes into the ledger; anything else is counted as stray and gets undefined.
 */
export function admit(req: IncomingMessage, entrance: Entrance, upgrade: boolean, rules: AdmissionRules, ledger: Ledger): Admitted | undefined {
  const peer = peerOf(req.socket);
  const listener = localOf(req.socket);
  const url = new URL(req.url ?? '/', 'http://listener');
  const tokenHeader = tokenOf(req);
  const node = rules.tokens.nodeFor(tokenHeader);
  const probeId = url.searchParams.get('probe') ?? '';
  const probe = node === undefined ? undefined : rules.findProbe(node, probeId);
  const expected = probe === undefined ? undefined : endpointFor(probe);

  let refusal: string | undefined;
  let detail: string | undefined;
  if (node === undefined) refusal = tokenHeader === undefined ? 'missing token' : 'unknown token';
  else if (probe === undefined) {
    // The probe id is the caller's text: in the detail, so strays still group by reason.
    refusal = 'unknown probe';
    detail = `probe "${probeId.slice(0, 64)}"`;
  }
  else if (probe.proto !== entrance.proto) refusal = `probe ${probe.id} planned over ${probe.proto}`;
  else if ((probe.alternate === true) !== entrance.alternate) refusal = `probe ${probe.id} planned for ${probe.alternate === true ? 'an alternate' : 'the main'} port`;
  else if (probe.alternate === true && probe.port !== listener.port) refusal = `probe ${probe.id} planned for port ${probe.port}`;
  else if (expected === undefined || expected.path !== url.pathname || expected.method !== methodOf(req)) refusal = `probe ${probe.id} does not match ${req.method} ${url.pathname}`;
  else if (upgrade && probe.kind !== 'hold') refusal = `probe ${probe.id} is not a hold: no WebSocket`;
  // Last, so only a request that would otherwise be admitted binds a NAT address to the node.
  const source = refusal === undefined && node !== undefined ? rules.sources?.decide(node, peer.address) : undefined;
  if (source?.served === false) {
    refusal = source.reason;
    if (source.otherNode !== undefined) detail = `${peer.address} is node ${source.otherNode}'s`;
  }
  if (refusal !== undefined || node === undefined || probe === undefined) {
    const owner = source?.served === false ? { node } : {};
    ledger.strayRequest(peer, refusal ?? 'refused', { port: listener.port, path: url.pathname.slice(0, 64), ...owner, ...(detail === undefined ? {} : { detail }) });
    return undefined;
  }

  ledger.connectionCarriedRequest(peer.address);
  const bytesPlanned = probe.kind === 'download' || probe.kind === 'upload' ? (probe.size ?? 0) : 0;
  const holdFields = probe.kind === 'hold' ? { holdOpened: false, holdPushSent: false, holdPingReceived: false } : {};
  const seq = probe.kind === 'status' ? statusSeq(url) : undefined;
  const attempt = probe.kind === 'download' || probe.kind === 'upload' ? retryAttempt(url) : undefined;
  const entry = ledger.request({
    node,
    probe: probe.id,
    proto: entrance.proto,
    listener,
    peer,
    method: methodOf(req),
    ...(seq === undefined ? {} : { seq }),
    ...(attempt === undefined ? {} : { attempt }),
    bytesPlanned,
    ...holdFields,
  });
  return { node, probe, peer, entry };
}

/**
 * The token from its header, else from a cookie of the same name, else from proxy credentials whose
 * user is the header's name. Each keeps the token off a client's command line: GNU wget reads a cookie
 * from a pipe but no header; busybox wget reads no header but its command line, yet takes proxy
 * credentials from its environment (http_proxy, which no other local user can read): the sh-wget
 * agent names the listener itself as the proxy, so the request arrives in absolute form.
 */
function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers[TOKEN_HEADER];
  if (typeof header === 'string') return header;
  return cookieToken(req.headers.cookie) ?? proxyToken(req.headers['proxy-authorization']);
}

function cookieToken(cookie: string | undefined): string | undefined {
  if (cookie === undefined) return undefined;
  for (const pair of cookie.split(';')) {
    const [name, value] = pair.trim().split('=', 2);
    if (name === TOKEN_HEADER && value !== undefined) return value;
  }
  return undefined;
}

function proxyToken(credentials: string | undefined): string | undefined {
  const basic = /^Basic ([A-Za-z0-9+/=]{1,256})$/i.exec(credentials ?? '');
  if (basic === null) return undefined;
  const [user, token] = Buffer.from(basic[1]!, 'base64').toString('latin1').split(':', 2);
  return user === TOKEN_HEADER ? token : undefined;
}

/**
 * What the request means: busybox wget sends every request it makes through a proxy as GET, a POST's
 * body and its length kept (the sh-wget agent names the listener as its proxy: tokenOf). So in absolute
 * form, a GET with a body stands for POST.
 */
function methodOf(req: IncomingMessage): string {
  const proxied = /^https?:\/\//i.test(req.url ?? '');
  return proxied && req.method === 'GET' && req.headers['content-length'] !== undefined ? 'POST' : (req.method ?? '');
}

/** A status post's number (?seq=), from 1; anything else is no number. */
function statusSeq(url: URL): number | undefined {
  const seq = url.searchParams.get('seq') ?? '';
  return /^[1-9][0-9]{0,5}$/.test(seq) ? Number(seq) : undefined;
}

/** A stalled transfer's second attempt (?attempt=2, the agents' retry); the first carries no attempt. */
function retryAttempt(url: URL): 2 | undefined {
  return url.searchParams.get('attempt') === '2' ? 2 : undefined;
}

function endpointFor(probe: PlannedProbe): { path: string; method: string } | undefined {
  switch (probe.kind) {
    case 'hello':
      return { path: PATHS.hello, method: 'GET' };
    case 'download':
      return { path: PATHS.blob, method: 'GET' };
    case 'status':
      return { path: PATHS.status, method: 'POST' };
    case 'upload':
      return { path: PATHS.upload, method: 'POST' };
    case 'hold':
      return { path: PATHS.hold, method: 'GET' };
    case 'ftp':
      return undefined;
  }
}
