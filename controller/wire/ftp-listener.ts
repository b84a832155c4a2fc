/**
 * The run's FTP listener: a minimal FTP server (the dialogue in FTP_REPLY_CODES, src/protocol.ts) on
 * the control port and the passive data range of each callback address, living only for the run.
 * Switches fetch firmware from the update manager this way, and a firewall that passes the control
 * port but not the passive range breaks it: so the ledger records each step separately (login,
 * the port PASV offered, where the data connection came from, bytes handed over, the 226).
 *
 * Authentication is the HTTP listener's: USER is the node's name, PASS its token, and SIZE names one
 * of its planned ftp probes before any data moves; a login is served only from the node's addresses
 * (source-binding.ts, shared with the HTTP listener). A wrong login, a node's login from an address not
 * its own (a stray with the node named: its evidence of a replay), an unplanned probe and a data
 * connection nobody's PASV asked for are refused and counted as stray. Every session is bounded in
 * line length, commands and idle time; a data port only accepts the peer whose PASV opened it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { FTP_REPLY_CODES as CODES, MAX_FTP_LINE_BYTES, type Endpoint, type PlannedProbe, type PortRange } from '../../src/protocol.js';
import { SetupError } from '../../src/errors.js';
import type { BlobStore } from './blobs.js';
import type { Ledger, LedgerRequest } from './ledger.js';
import { listen, plainAddress } from './listener-sockets.js';
import type { RunTokens } from './tokens.js';
import type { SourceBinding } from './source-binding.js';

export interface FtpLimits {
  /** Commands one control connection may send before it is closed. */
  commandsPerSession: number;
  /** A control connection quiet this long is closed. */
  idleMs: number;
  /** A PASV port waits this long for its data connection. */
  dataWaitMs: number;
}

export const DEFAULT_FTP_LIMITS: FtpLimits = { commandsPerSession: 32, idleMs: 30_000, dataWaitMs: 30_000 };

export interface FtpListenerOptions {
  addresses: readonly string[];
  /** 0: an ephemeral port (tests). */
  controlPort: number;
  dataPorts: PortRange;
  tokens: RunTokens;
  blobs: BlobStore;
  ledger: Ledger;
  findProbe(node: string, probeId: string): PlannedProbe | undefined;
  /** Which sources may log in as each node; without it, any. */
  sources?: SourceBinding;
  limits?: Partial<FtpLimits>;
}

const CHUNK = 64 * 1024;

/** A PASV port waiting for its data connection. */
interface OpenPassive {
  session: Session;
  port: number;
  timer: NodeJS.Timeout;
}

interface Session {
  control: Socket;
  peer: Endpoint;
  local: Endpoint;
  commands: number;
  user?: string;
  node?: string;
  probe?: PlannedProbe;
  entry?: LedgerRequest;
  passive?: OpenPassive;
  data?: Socket;
  /** RETR came before the data connection: the transfer starts when it arrives. */
  retrWaiting: boolean;
  transferring: boolean;
}

export class FtpListener {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly passives = new Set<OpenPassive>();
  private readonly limits: FtpLimits;
  private controlPortBound = 0;
  /** Round robin over the range, so over a run every passive port gets tried. */
  private nextData = 0;

  constructor(private readonly options: FtpListenerOptions) {
    this.limits = { ...DEFAULT_FTP_LIMITS, ...options.limits };
    const { first, last } = options.dataPorts;
    if (!(first >= 1 && last <= 65535 && first <= last)) throw new SetupError(`FTP data ports ${first}-${last}: expected a range within 1..65535`);
  }

  get controlPort(): number {
    return this.controlPortBound;
  }

  get dataPorts(): PortRange {
    return { ...this.options.dataPorts };
  }

  /** Binds the control port and the whole passive range on every address; all or none. */
  async start(): Promise<void> {
    try {
      let port = this.options.controlPort;
      for (const address of this.options.addresses) {
        const server = createServer((socket) => this.control(socket));
        port = await listen(server, address, port, 'FTP control');
        this.servers.push(server);
      }
      this.controlPortBound = port;
      const { first, last } = this.options.dataPorts;
      for (const address of this.options.addresses) {
        for (let p = first; p <= last; p++) {
          const server = createServer((socket) => this.dataConnection(socket, p));
          await listen(server, address, p, 'FTP passive data');
          this.servers.push(server);
        }
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    for (const passive of this.passives) clearTimeout(passive.timer);
    this.passives.clear();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.length = 0;
  }

  private own(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // A peer that resets must not take the listener down; the agent reports what it saw.
    socket.on('error', () => undefined);
  }

  private control(socket: Socket): void {
    this.own(socket);
    const session: Session = {
      control: socket,
      peer: { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 },
      local: { address: plainAddress(socket.localAddress), port: socket.localPort ?? 0 },
      commands: 0,
      retrWaiting: false,
      transferring: false,
    };
    this.options.ledger.connectionAccepted(session.peer.address);
    socket.setTimeout(this.limits.idleMs, () => this.hangUp(session, '421 idle too long, closing'));
    socket.once('close', () => this.endSession(session));
    let buffered = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      buffered += text;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) !== -1 && !socket.destroyed) {
        const line = buffered.slice(0, newline).replace(/\r$/, '');
        buffered = buffered.slice(newline + 1);
        this.command(session, line);
      }
      if (buffered.length > MAX_FTP_LINE_BYTES) this.hangUp(session, '500 line too long, closing');
    });
    reply(socket, `${CODES.banner} twoway FTP listener (this run only)`);
  }

  private command(session: Session, line: string): void {
    if (session.control.writableEnded) return;
    session.commands += 1;
    if (line.length > MAX_FTP_LINE_BYTES) return this.hangUp(session, '500 line too long, closing');
    if (session.commands > this.limits.commandsPerSession) return this.hangUp(session, '421 too many commands, closing');
    const space = line.indexOf(' ');
    const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const arg = space === -1 ? '' : line.slice(space + 1);
    const socket = session.control;
    switch (verb) {
      case 'USER':
        session.user = arg;
        session.node = undefined;
        return reply(socket, `${CODES.userOk} token please`);
      case 'PASS':
        return this.login(session, arg);
      case 'QUIT':
        return this.hangUp(session, `${CODES.bye} bye`);
      case 'NOOP':
        return reply(socket, '200 ok');
    }
    if (session.node === undefined) return reply(socket, `${CODES.notLoggedIn} not logged in`);
    switch (verb) {
      case 'TYPE':
        return reply(socket, arg.toUpperCase() === 'I' ? `${CODES.typeOk} binary` : '504 only TYPE I');
      case 'SIZE':
        return this.size(session, arg);
      case 'PASV':
      case 'EPSV':
        return this.passive(session, verb);
      case 'RETR':
        return this.retr(session, arg);
      default:
        return reply(socket, '502 not implemented');
    }
  }

  private login(session: Session, token: string): void {
    const node = this.options.tokens.nodeFor(token);
    if (node === undefined || node !== session.user) {
      this.options.ledger.strayRequest(session.peer, `ftp login refused for user "${(session.user ?? '').slice(0, 64)}"`);
      return this.hangUp(session, `${CODES.notLoggedIn} login incorrect`);
    }
    const source = this.options.sources?.decide(node, session.peer.address);
    if (source?.served === false) {
      const detail = source.otherNode === undefined ? {} : { detail: `${session.peer.address} is node ${source.otherNode}'s` };
      this.options.ledger.strayRequest(session.peer, source.reason, { port: session.local.port, node, ...detail });
      return this.hangUp(session, `${CODES.notLoggedIn} login incorrect`);
    }
    session.node = node;
    reply(session.control, `${CODES.loggedIn} logged in`);
  }

  /** SIZE names the probe: from here on the session is in the ledger. */
  private size(session: Session, probeId: string): void {
    const node = session.node!;
    if (session.probe !== undefined) {
      return reply(session.control, session.probe.id === probeId ? `${CODES.size} ${session.probe.size ?? 0}` : '503 one probe per session');
    }
    const probe = this.options.findProbe(node, probeId);
    if (probe === undefined || probe.kind !== 'ftp' || probe.port !== session.local.port) {
      this.options.ledger.strayRequest(session.peer, `ftp: no planned ftp probe "${probeId.slice(0, 64)}" for ${node} on port ${session.local.port}`);
      return reply(session.control, '550 no such file');
    }
    session.probe = probe;
    this.options.ledger.connectionCarriedRequest(session.peer.address);
    session.entry = this.options.ledger.request({
      node,
      probe: probe.id,
      proto: 'ftp',
      listener: session.local,
      peer: session.peer,
      method: 'RETR',
      bytesPlanned: probe.size ?? 0,
      ftp: {},
    });
    reply(session.control, `${CODES.size} ${probe.size ?? 0}`);
  }

  private passive(session: Session, verb: 'PASV' | 'EPSV'): void {
    const { control, entry } = session;
    if (entry === undefined) return reply(control, '503 SIZE first');
    if (session.transferring) return reply(control, '503 transfer in progress');
    const ipv4 = /^\d+\.\d+\.\d+\.\d+$/.test(session.local.address);
    if (verb === 'PASV' && !ipv4) return reply(control, '522 use EPSV on IPv6');
    this.dropPassive(session);
    session.data?.destroy();
    session.data = undefined;
    const port = this.pickDataPort(session.peer.address);
    if (port === undefined) return reply(control, '425 every passive port has a connection pending from this address');
    const passive: OpenPassive = {
      session,
      port,
      timer: setTimeout(() => {
        this.dropPassive(session);
        if (session.retrWaiting) {
          session.retrWaiting = false;
          reply(control, '425 no data connection arrived');
        }
      }, this.limits.dataWaitMs),
    };
    this.passives.add(passive);
    session.passive = passive;
    entry.ftp = { ...entry.ftp, pasvPort: port };
    if (verb === 'EPSV') return reply(control, `229 Entering Extended Passive Mode (|||${port}|)`);
    const a = session.local.address.split('.').join(',');
    reply(control, `${CODES.passive} Entering Passive Mode (${a},${port >> 8},${port & 0xff})`);
  }

  /** The next port of the range with no data connection pending from this address. */
  private pickDataPort(peerAddress: string): number | undefined {
    const { first, last } = this.options.dataPorts;
    const count = last - first + 1;
    for (let i = 0; i < count; i++) {
      const port = first + ((this.nextData + i) % count);
      if (![...this.passives].some((p) => p.port === port && p.session.peer.address === peerAddress)) {
        this.nextData = (this.nextData + i + 1) % count;
        return port;
      }
    }
    return undefined;
  }

  private dropPassive(session: Session): void {
    const passive = session.passive;
    if (passive === undefined) return;
    clearTimeout(passive.timer);
    this.passives.delete(passive);
    session.passive = undefined;
  }

  /** Only the address whose PASV opened this port, on the address its control connection used. */
  private dataConnection(socket: Socket, port: number): void {
    this.own(socket);
    const peer: Endpoint = { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
    const local = plainAddress(socket.localAddress);
    const passive = [...this.passives].find((p) => p.port === port && p.session.peer.address === peer.address && p.session.local.address === local);
    if (passive === undefined) {
      this.options.ledger.strayRequest(peer, `ftp data connection to port ${port} with no PASV open for ${peer.address}`);
      socket.destroy();
      return;
    }
    const { session } = passive;
    this.dropPassive(session);
    session.data = socket;
    this.options.ledger.connectionAccepted(peer.address);
    if (session.entry !== undefined) session.entry.ftp = { ...session.entry.ftp, dataPeer: peer };
    socket.once('close', () => {
      if (session.data === socket) session.data = undefined;
    });
    if (session.retrWaiting) this.transfer(session);
  }

  private retr(session: Session, probeId: string): void {
    const { control, probe } = session;
    if (probe === undefined || probe.id !== probeId) return reply(control, '550 no such file');
    if (session.transferring || session.entry?.completed === true) return reply(control, '503 already sent');
    if (session.data !== undefined) return this.transfer(session);
    if (session.passive !== undefined) {
      session.retrWaiting = true;
      return;
    }
    reply(control, '425 use PASV first');
  }

  private transfer(session: Session): void {
    const { control, data, entry } = session;
    if (data === undefined || entry === undefined) return;
    session.retrWaiting = false;
    session.transferring = true;
    // The control connection is quiet while the file flows: its idle limit waits for the transfer to end
    // (a slow link is the agent's to judge, by its own deadlines, not ours to cut).
    control.setTimeout(0);
    const rearm = (): void => {
      if (!control.destroyed) control.setTimeout(this.limits.idleMs);
    };
    data.once('close', rearm);
    reply(control, `${CODES.opening} sending ${entry.bytesPlanned} bytes`);
    const bytes = this.options.blobs.get(entry.bytesPlanned).bytes;
    data.once('close', () => {
      session.transferring = false;
      if (entry.completed) return;
      entry.aborted = true;
      if (!control.destroyed) reply(control, '426 data connection closed, transfer aborted');
    });
    data.once('finish', () => {
      entry.completed = true;
      session.transferring = false;
      if (!control.destroyed) reply(control, `${CODES.transferComplete} transfer complete`);
    });
    let offset = 0;
    const pump = (): void => {
      while (offset < bytes.length) {
        const chunk = bytes.subarray(offset, offset + CHUNK);
        offset += chunk.length;
        const more = data.write(chunk, (err) => {
          if (!err) entry.bytesWritten += chunk.length;
        });
        if (!more) {
          data.once('drain', pump);
          return;
        }
      }
      data.end();
    };
    pump();
  }

  private hangUp(session: Session, line: string): void {
    const { control } = session;
    if (control.destroyed || control.writableEnded) return;
    control.end(`${line}\r\n`);
    // A peer that never reads must not hold the socket: it goes once the line is out or soon after.
    setTimeout(() => control.destroy(), 1_000).unref();
  }

  private endSession(session: Session): void {
    this.dropPassive(session);
    session.data?.destroy();
  }
}

function reply(socket: Socket, line: string): void {
  if (!socket.destroyed && !socket.writableEnded) socket.write(`${line}\r\n`);
}
