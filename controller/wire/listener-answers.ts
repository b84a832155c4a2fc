/**
 * The callback listener's answer to an admitted request, by probe kind: hello says what address the
 * listener saw, status takes a bounded body, download streams a blob, upload checks what arrived.
 * Every step the bytes take goes into the request's ledger entry, so a stalled transfer shows where
 * it stood. (The hold channel's WebSocket side is listener-hold.ts.)
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_STATUS_BODY_BYTES, type PlannedProbe } from '../../src/protocol.js';
import type { BlobStore } from './blobs.js';
import type { LedgerRequest } from './ledger.js';
import type { Admitted } from './listener-admission.js';

const CHUNK = 64 * 1024;

export function answer(req: IncomingMessage, res: ServerResponse, admitted: Admitted, blobs: BlobStore): void {
  const { node, probe, peer, entry } = admitted;
  res.on('finish', () => (entry.completed = true));
  res.on('close', () => (entry.aborted = !entry.completed));
  // Every kind counts what it receives: a stalled upload shows how far it got.
  req.on('data', (chunk: Buffer) => (entry.bytesReceived += chunk.length));

  switch (probe.kind) {
    case 'hello':
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ address: peer.address, port: peer.port, node }));
      return;
    case 'status':
      readBoundedBody(req, MAX_STATUS_BODY_BYTES, (tooLarge) => {
        if (tooLarge) res.writeHead(413, { connection: 'close' }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
      return;
    case 'download': {
      req.resume();
      const blob = blobs.get(entry.bytesPlanned);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(blob.bytes.length) });
      writeInChunks(res, blob.bytes, (n) => (entry.bytesWritten += n));
      return;
    }
    case 'upload':
      receiveUpload(req, res, probe, entry);
      return;
    case 'hold':
      // The token and probe got here but the Upgrade did not: something on the path strips it.
      req.resume();
      res.writeHead(426, { connection: 'close' }).end();
      return;
  }
}

/**
 * Counts (in answer) and hashes the upload as it streams, then answers whether it is the planned
 * content: 200 or 422 with {"bytes":N,"sha256ok":...}, or 413 as soon as it is longer than planned.
 */
function receiveUpload(req: IncomingMessage, res: ServerResponse, probe: PlannedProbe, entry: LedgerRequest): void {
  const size = probe.size ?? 0;
  // "connection: close": Node closes the connection once the answer is out, whatever is still coming.
  const tooLarge = (): void => {
    res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ bytes: entry.bytesReceived, sha256ok: false }));
  };
  // Node ends a body at its Content-Length, so a longer one announces itself there; a chunked one
  // is caught as it comes.
  if (Number(req.headers['content-length'] ?? 0) > size) {
    tooLarge();
    return;
  }
  const hash = createHash('sha256');
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    if (entry.bytesReceived > size) {
      refused = true;
      tooLarge();
      return;
    }
    hash.update(chunk);
  });
  req.on('end', () => {
    if (refused) return;
    const sha256ok = entry.bytesReceived === size && hash.digest('hex') === (probe.sha256 ?? '').toLowerCase();
    res.writeHead(sha256ok ? 200 : 422, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes: entry.bytesReceived, sha256ok }));
  });
}

/** Writes with backpressure, counting what was handed to the kernel, so the ledger shows where a stalled transfer stood. */
function writeInChunks(res: ServerResponse, bytes: Buffer, onWritten: (n: number) => void): void {
  let offset = 0;
  const pump = (): void => {
    while (offset < bytes.length) {
      const chunk = bytes.subarray(offset, offset + CHUNK);
      offset += chunk.length;
      const more = res.write(chunk, () => onWritten(chunk.length));
      if (!more) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.once('close', () => res.off('drain', pump));
  pump();
}

function readBoundedBody(req: IncomingMessage, limit: number, done: (tooLarge: boolean) => void): void {
  let size = 0;
  let finished = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit && !finished) {
      finished = true;
      done(true);
      req.destroy();
    }
  });
  req.on('end', () => {
    if (!finished) {
      finished = true;
      done(false);
    }
  });
}
