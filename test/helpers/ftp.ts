/** A running FTP listener on 127.0.0.1 and a line-at-a-time FTP client, for the listener and agent tests. */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { BlobStore } from '../../controller/wire/blobs.js';
import { FtpListener, type FtpLimits } from '../../controller/wire/ftp-listener.js';
import { Ledger } from '../../controller/wire/ledger.js';
import type { SourceBinding } from '../../controller/wire/source-binding.js';
import { RunTokens } from '../../controller/wire/tokens.js';
import type { PlannedProbe, PortRange } from '../../src/protocol.js';
import { SetupError } from '../../src/errors.js';

export const HOST = '127.0.0.1';
export const NODE = 'switch1';
export const FILE_SIZE = 200_000;

export interface RunningFtp {
  listener: FtpListener;
  ledger: Ledger;
  blobs: BlobStore;
  tokens: RunTokens;
  token: string;
  controlPort: number;
  dataPorts: PortRange;
  probe: PlannedProbe;
}

/**
 * A listener on an ephemeral control port and a passive range of `width` ports picked at random
 * among high ports (other tests on the machine may hold some: a few tries, each bounded). With
 * `sources`, logins are bound to the nodes' addresses as in a run.
 */
export async function startFtp(t: { after: (fn: () => Promise<void>) => void }, limits: Partial<FtpLimits> = {}, size = FILE_SIZE, width = 3, sources?: SourceBinding): Promise<RunningFtp> {
  const ledger = new Ledger();
  const blobs = new BlobStore();
  const tokens = new RunTokens();
  const token = tokens.tokenFor(NODE);
  tokens.tokenFor('other-node');
  let probe: PlannedProbe | undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    const first = 40_000 + Math.floor(Math.random() * 20_000);
    const dataPorts = { first, last: first + width - 1 };
    const listener = new FtpListener({ addresses: [HOST], controlPort: 0, dataPorts, tokens, blobs, ledger, limits, ...(sources === undefined ? {} : { sources }), findProbe: (node, id) => (node === NODE && id === probe?.id ? probe : undefined) });
    try {
      await listener.start();
    } catch (err) {
      if (err instanceof SetupError && /in use/.test(err.message)) continue;
      throw err;
    }
    t.after(() => listener.close());
    probe = { id: 'ftp-0', kind: 'ftp', proto: 'ftp', address: HOST, port: listener.controlPort, dataPorts, size, sha256: blobs.get(size).sha256 };
    return { listener, ledger, blobs, tokens, token, controlPort: listener.controlPort, dataPorts, probe };
  }
  throw new Error('no free passive range found in 8 tries');
}

/** An FTP client that reads one reply line at a time; every wait is bounded. */
export class LineClient {
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private closedFlag = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.buffered += text;
      let i: number;
      while ((i = this.buffered.indexOf('\r\n')) !== -1) {
        this.lines.push(this.buffered.slice(0, i));
        this.buffered = this.buffered.slice(i + 2);
      }
      this.waiter?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closedFlag = true;
      this.waiter?.();
    });
  }

  static open(port: number, localAddress?: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(localAddress === undefined ? { host: HOST, port } : { host: HOST, port, localAddress });
      socket.once('error', reject);
      socket.once('connect', () => resolve(new LineClient(socket)));
    });
  }

  /** The next reply line; '' once the connection closed with nothing left. */
  async read(ms = 3_000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.lines.length === 0 && !this.closedFlag) {
      const left = deadline - Date.now();
      assert.ok(left > 0, 'a reply arrived in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.lines.shift() ?? '';
  }

  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.read();
  }

  /** Resolves once the listener closed the connection. */
  async closed(ms = 3_000): Promise<void> {
    while (!this.closedFlag) assert.equal(await this.read(ms), '', 'nothing more before the close');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Logs in as `user` with `token` and names the probe: the state in which PASV is allowed. */
export async function loggedIn(ftp: RunningFtp, user = NODE, token = ftp.token): Promise<LineClient> {
  const c = await LineClient.open(ftp.controlPort);
  assert.match(await c.read(), /^220 /);
  assert.match(await c.command(`USER ${user}`), /^331 /);
  assert.match(await c.command(`PASS ${token}`), /^230 /);
  assert.match(await c.command('TYPE I'), /^200 /);
  assert.equal(await c.command(`SIZE ${ftp.probe.id}`), `213 ${ftp.probe.size}`);
  return c;
}

/** The port in a 227 answer, checked to carry the listener's address. */
export function pasvPort(line: string): number {
  const m = /^227 .*\(127,0,0,1,(\d+),(\d+)\)$/.exec(line);
  assert.ok(m, `a 227 answer with 127.0.0.1: ${line}`);
  return Number(m[1]) * 256 + Number(m[2]);
}

/** Reads a data connection to its end. */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

export function openData(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(localAddress === undefined ? { host: HOST, port } : { host: HOST, port, localAddress });
    socket.once('error', reject);
    socket.once('connect', () => resolve(socket));
  });
}
