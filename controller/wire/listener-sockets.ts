/**
 * Socket plumbing the callback listener (listener.ts) and the FTP listener (ftp-listener.ts) share:
 * binding a server with an error that says why, closing one, and naming a socket's two ends.
 */
import type { Server } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { Endpoint } from '../../src/protocol.js';
import { SetupError } from '../../src/errors.js';
import { hostPort } from '../../src/endpoint.js';

/** IPv4 peers on a dual-stack socket show up as ::ffff:a.b.c.d; report them as plain IPv4. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function peerOf(socket: Socket): Endpoint {
  return { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
}

export function localOf(socket: Socket): Endpoint {
  return { address: plainAddress(socket.localAddress), port: socket.localPort ?? 0 };
}

/** Answers on a socket Node's HTTP layer no longer drives (a refused upgrade, an unparsable request), then closes it. */
export function answerAndClose(socket: Socket, status: string, body: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Binds one server; the error names the address, the port and, given `what`, what it was for. */
export function listen(server: NetServer, address: string, port: number, what?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'the port is in use by another process'
          : err.code === 'EADDRNOTAVAIL'
            ? 'that address is not on this host'
            : err.code === 'EACCES'
              ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)'
              : err.message;
      const where = hostPort(address, port);
      reject(new SetupError(`cannot listen${what === undefined ? '' : ` for ${what}`} on ${where}: ${why}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : port);
    });
  });
}
