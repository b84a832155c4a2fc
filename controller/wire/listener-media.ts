/**
 * Virtual-media requests from a BMC (issue 15): a BMC cannot send twoway's token header, so its URL
 * carries the node's token and the probe id in the path, `/tw/media/<token>/<probe>.iso`. The
 * listener answers HEAD with the image's size and GETs (ranged or not) with zeros, as an image
 * server would, and records each request in the ledger under the node and probe id.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint, WebProto } from '../../src/protocol.js';
import type { Ledger, LedgerRequest } from './ledger.js';
import type { RunTokens } from './tokens.js';

export const MEDIA_PREFIX = '/tw/media/';
/** The image's size as the listener announces it: large enough for a BMC's ranged reads, small enough to send whole. */
export const MEDIA_BYTES = 1024 * 1024;
const PROBE_ID = /^[A-Za-z0-9._-]{1,96}$/;
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/** The URL a BMC is asked to mount for this node's probe. */
export function mediaUrl(proto: WebProto, address: string, port: number, token: string, probeId: string): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${proto}://${host}:${port}${MEDIA_PREFIX}${token}/${probeId}.iso`;
}

export const isMediaPath = (url: string | undefined): boolean => (url ?? '').startsWith(MEDIA_PREFIX);

/** A media request with a known token goes into the ledger (method and all); anything else is stray. */
export function admitMedia(req: IncomingMessage, proto: WebProto, peer: Endpoint, listener: Endpoint, tokens: RunTokens, ledger: Ledger): LedgerRequest | undefined {
  const [token = '', file = ''] = (req.url ?? '').slice(MEDIA_PREFIX.length).split('?')[0]!.split('/');
  const probe = file.endsWith('.iso') ? file.slice(0, -4) : '';
  const node = TOKEN.test(token) ? tokens.nodeFor(token) : undefined;
  if (node === undefined || !PROBE_ID.test(probe) || (req.method !== 'GET' && req.method !== 'HEAD')) {
    ledger.strayRequest(peer, node === undefined ? 'media: unknown token' : `media: refused ${req.method ?? ''} ${probe.slice(0, 64)}`);
    return undefined;
  }
  ledger.connectionCarriedRequest(peer.address);
  return ledger.request({ node, probe, proto, listener, peer, method: req.method, bytesPlanned: req.method === 'HEAD' ? 0 : MEDIA_BYTES });
}

/** HEAD: the size; GET with one byte range: 206 and that many zeros; GET: the whole image. */
export function answerMedia(req: IncomingMessage, res: ServerResponse, entry: LedgerRequest): void {
  req.resume();
  res.on('finish', () => (entry.completed = true));
  res.on('close', () => (entry.aborted = !entry.completed));
  const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'content-length': String(MEDIA_BYTES) }).end();
    return;
  }
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const first = range === null ? 0 : Number(range[1]);
  const last = range === null || range[2] === '' ? MEDIA_BYTES - 1 : Math.min(Number(range[2]), MEDIA_BYTES - 1);
  if (first > last) {
    res.writeHead(416, { 'content-range': `bytes */${MEDIA_BYTES}` }).end();
    return;
  }
  const body = Buffer.alloc(last - first + 1);
  entry.bytesPlanned = body.length;
  res.writeHead(range === null ? 200 : 206, { ...headers, 'content-length': String(body.length), ...(range === null ? {} : { 'content-range': `bytes ${first}-${last}/${MEDIA_BYTES}` }) });
  res.end(body, () => (entry.bytesWritten = body.length));
}
