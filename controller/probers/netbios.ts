/**
 * NetBIOS name service forward probe (UDP 137, RFC 1002): a node status request (NBSTAT) for the
 * wildcard name, as `nbtstat -A` sends. UDP has no handshake, so only an answer proves the path and
 * the service; the socket is connected, so an ICMP port unreachable comes back as ECONNREFUSED.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { outcomeOfConnectError } from './tcp.js';
import type { ForwardResult, Prober } from './types.js';

const NBSTAT = 0x0021;
const CLASS_IN = 0x0001;

/** RFC 1001 first-level encoding: 16 bytes (name padded with NUL), each nibble + 'A', length-prefixed. */
function encodeName(name: string): Buffer {
  const raw = Buffer.alloc(16, 0);
  raw.write(name, 'latin1');
  const out = Buffer.alloc(34);
  out[0] = 32;
  for (let i = 0; i < 16; i++) {
    out[1 + 2 * i] = 0x41 + (raw[i]! >> 4);
    out[2 + 2 * i] = 0x41 + (raw[i]! & 0x0f);
  }
  out[33] = 0;
  return out;
}

export function nodeStatusRequest(transactionId: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(transactionId, 0);
  header.writeUInt16BE(0x0000, 2); // a query, not broadcast, no recursion
  header.writeUInt16BE(1, 4); // one question
  const question = Buffer.alloc(4);
  question.writeUInt16BE(NBSTAT, 0);
  question.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, encodeName('*'), question]);
}

export interface NetbiosName {
  name: string;
  /** The 16th byte: 0x00 workstation, 0x20 file server, 0x1b domain master, ... */
  suffix: number;
  group: boolean;
}

/** The names in a node status response, or undefined when the datagram is not an answer to `transactionId`. */
export function parseNodeStatusResponse(msg: Buffer, transactionId: number): NetbiosName[] | undefined {
  if (msg.length < 12 || msg.readUInt16BE(0) !== transactionId || (msg.readUInt16BE(2) & 0x8000) === 0 || msg.readUInt16BE(6) < 1) return undefined;
  let offset = 12;
  // The answer's name: a compression pointer (2 bytes) or labels up to a zero byte.
  if (offset < msg.length && (msg[offset]! & 0xc0) === 0xc0) offset += 2;
  else {
    while (offset < msg.length && msg[offset] !== 0) offset += msg[offset]! + 1;
    offset += 1;
  }
  if (offset + 11 > msg.length || msg.readUInt16BE(offset) !== NBSTAT) return undefined;
  const rdLength = msg.readUInt16BE(offset + 8);
  offset += 10;
  if (offset + rdLength > msg.length || rdLength < 1) return undefined;
  const count = msg[offset]!;
  offset += 1;
  const names: NetbiosName[] = [];
  for (let i = 0; i < count && offset + 18 <= msg.length; i++, offset += 18) {
    names.push({
      name: msg.toString('latin1', offset, offset + 15).trimEnd(),
      suffix: msg[offset + 15]!,
      group: (msg.readUInt16BE(offset + 16) & 0x8000) !== 0,
    });
  }
  return names;
}

export const probeNetbiosName: Prober = (target, deadlineMs, signal) =>
  new Promise<ForwardResult>((resolve) => {
    if (signal?.aborted) return resolve({ outcome: 'error', ms: 0, error: { code: 'ABORTED', message: 'run interrupted' } });
    const started = performance.now();
    const transactionId = Math.floor(Math.random() * 0x10000);
    const request = nodeStatusRequest(transactionId);
    const socket = createSocket(isIPv6(target.address) ? 'udp6' : 'udp4');
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (result: Omit<ForwardResult, 'ms'>): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      resolve({ ...result, ms: Math.round(performance.now() - started) });
    };
    const onAbort = (): void => finish({ outcome: 'error', error: { code: 'ABORTED', message: 'run interrupted' } });
    const send = (): void => socket.send(request, (err) => err && finish({ outcome: outcomeOfConnectError((err as NodeJS.ErrnoException).code), error: { code: (err as NodeJS.ErrnoException).code ?? 'ERROR', message: err.message } }));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ outcome: outcomeOfConnectError(err.code), error: { code: err.code ?? 'ERROR', message: err.message } }));
    socket.on('message', (msg) => {
      const names = parseNodeStatusResponse(msg, transactionId);
      if (names !== undefined) finish({ outcome: 'open', details: { netbios: { names } } });
    });
    socket.connect(target.port, target.address, () => {
      if (settled) return; // the deadline or an interrupt came first: the socket is closed
      send();
      // One resend halfway: a single lost datagram should not read as a blocked port.
      timers.push(setTimeout(send, deadlineMs / 2));
    });
    timers.push(
      setTimeout(
        () => finish({ outcome: 'timeout', error: { code: 'ETIMEDOUT', message: `no NetBIOS name answer from ${target.address}:${target.port}/udp within ${deadlineMs} ms (filtered, or no name service)` } }),
        deadlineMs,
      ),
    );
  });
