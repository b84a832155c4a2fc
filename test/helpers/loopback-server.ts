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
