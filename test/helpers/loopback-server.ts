/**
 * Test servers on 127.0.0.1, port 0: `serveOnLoopback` listens and, when the test ends, destroys the
 * connections still open (hung peers keep theirs otherwise) and closes the server; `closedPort` is a
 * port that was just bound and released, so the kernel answers a connect with RST.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export const LOOPBACK = '127.0.0.1';

export async function serveOnLoopback(t: { after: (fn: () => Promise<void>) => void }, server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A connection handler that reads an HTTP request head, then hands the socket on with the request
 * target's query ("?probe=..."; "" without one), for raw servers that stall or cut answers on purpose.
 */
export function afterRequestHead(answer: (socket: Socket, query: string) => void): (socket: Socket) => void {
  return (socket) => {
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const target = head.split(' ')[1] ?? '';
      answer(socket, target.includes('?') ? target.slice(target.indexOf('?')) : '');
    };
    socket.on('data', onData);
  };
}
