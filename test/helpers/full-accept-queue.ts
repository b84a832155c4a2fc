/**
 * A loopback port whose SYNs go unanswered, the way a DROP rule or a lost SYN-ACK looks from the
 * connecting side: a listening socket with backlog 0 whose one queue place is taken and which never
 * accepts, so the kernel drops further SYNs. Python holds the socket because Node's servers always
 * accept. Everything it starts ends with the test.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';

const HOST = '127.0.0.1';
const NEVER_ACCEPTS = "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()";

export async function fullAcceptQueue(t: { after: (fn: () => void) => void }): Promise<{ host: string; port: number; filler: Socket }> {
  const holder = spawn('python3', ['-c', NEVER_ACCEPTS], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => {
    holder.stdin.end();
    holder.kill();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the python listener did not start within 5 s')), 5000);
    holder.stdout.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(d.toString().trim()));
    });
  });
  const filler = connect(port, HOST);
  filler.on('error', () => undefined);
  t.after(() => filler.destroy());
  await new Promise<void>((resolve, reject) => {
    filler.once('connect', () => resolve());
    filler.once('error', reject);
  });
  return { host: HOST, port, filler };
}
