/**
 * The FTP probe: the dialogue a switch uses to fetch firmware from the update manager (FTP_REPLY_CODES
 * in src/protocol.ts), on the control connection, then the file over a passive data connection,
 * checked by size and SHA-256 like a download.
 *
 * Phases: connect (the control connection), request (banner, login, TYPE, SIZE, PASV), data-connect
 * (the passive data connection), body (the file), response (the 226 after it). With `ftp` in the
 * result (control ok? logged in? which port did PASV offer? did the data connection open?) the
 * controller can give the control port and the data range a verdict each: a firewall that passes
 * 21 and drops 63006-63010 shows as a control path that works and a data connect that times out.
 *
 * The data connection goes to the control connection's address, not to the one in the PASV answer:
 * what clients do since FTP bounce attacks, and what works through a NAT that does not rewrite PASV.
 */
import * as net from 'net';
import { AGENT_ERROR_CODES, FTP_REPLY_CODES as CODES, MAX_FTP_LINE_BYTES } from '../../src/protocol.js';
import type { Deadlines, FtpResult, ProbeOutcome } from '../../src/protocol.js';
import { downloadCheck } from './body-checks.js';
import type { BodyCheck } from './body-checks.js';
import { Exchange } from './exchange.js';
import type { ExchangeResult, Secrets, Target } from './exchange.js';
import { track } from './open-handles.js';
import { deadlineOutcome } from './outcomes.js';
import type { ProbeError } from './outcomes.js';
import { clip } from './output.js';

export interface FtpFile {
  /** The probe id: the file name in SIZE and RETR. */
  name: string;
  size: number;
  sha256: string;
}

/** A reply is at most a few lines; more before one completes is not our listener. */
const MAX_REPLY_BYTES = 4 * MAX_FTP_LINE_BYTES;

/** One complete reply: its code and its last line. */
interface Reply {
  code: number;
  line: string;
}

/**
 * Splits the control stream into replies: "ddd text", or a multi-line "ddd-..." up to the line that
 * starts with the same code and a space (RFC 959 4.2).
 */
export class ReplyReader {
  private buffered = '';
  private multiline: string | undefined;

  /** The replies completed by this text, or a problem once the stream cannot be FTP replies. */
  take(text: string): { replies: Reply[]; problem?: string } {
    this.buffered += text;
    const replies: Reply[] = [];
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) !== -1) {
      const line = this.buffered.slice(0, newline).replace(/\r$/, '');
      this.buffered = this.buffered.slice(newline + 1);
      if (line.length > MAX_FTP_LINE_BYTES) return { replies, problem: `reply line longer than ${MAX_FTP_LINE_BYTES} bytes` };
      if (this.multiline !== undefined) {
        if (line.startsWith(`${this.multiline} `)) {
          replies.push({ code: Number(this.multiline), line });
          this.multiline = undefined;
        }
        continue;
      }
      const m = /^([1-5]\d\d)([ -])/.exec(line);
      if (m === null) return { replies, problem: `not an FTP reply: ${JSON.stringify(clip(line, 80))}` };
      if (m[2] === '-') this.multiline = m[1];
      else replies.push({ code: Number(m[1]), line });
    }
    if (this.buffered.length > MAX_REPLY_BYTES) return { replies, problem: `no complete reply in ${MAX_REPLY_BYTES} bytes` };
    return { replies };
  }
}

/** The data port in a PASV (227) or EPSV (229) answer. */
export function passivePort(line: string): number | undefined {
  const epsv = /\(\|\|\|(\d{1,5})\|\)/.exec(line);
  const pasv = /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/.exec(line);
  const port = epsv !== null ? Number(epsv[1]) : pasv !== null ? Number(pasv[5]) * 256 + Number(pasv[6]) : undefined;
  return port !== undefined && port >= 1 && port <= 65535 ? port : undefined;
}

export class FtpExchange extends Exchange {
  private readonly replies = new ReplyReader();
  private readonly ftp: FtpResult = { controlOk: false, loginOk: false, dataConnected: false };
  private readonly check: BodyCheck;
  /** The reply the current step waits for, and what follows it. */
  private waiting: { code: number; command: string; then: (reply: Reply) => void } | undefined;
  private control: net.Socket | undefined;
  private data: net.Socket | undefined;
  private untrackData: (() => void) | undefined;
  /** Re-armed by every reply and every chunk of the file. */
  private stallTimer: NodeJS.Timeout | undefined;
  private bytes: number | undefined;
  private fileDone = false;
  private transferComplete = false;

  constructor(
    target: Target,
    private readonly file: FtpFile,
    private readonly user: string,
    deadlines: Deadlines,
    secrets: Secrets,
  ) {
    super(target, deadlines, secrets);
    this.check = downloadCheck(file.size, file.sha256);
  }

  expire(code: string, deadline: string): ExchangeResult {
    const where = this.phase === 'body' ? `the file, at byte ${this.bytes ?? 0}` : this.phase === 'data-connect' ? `the data connection to port ${this.ftp.pasvPort}` : this.phase;
    return this.end(deadlineOutcome(this.phase), { code, message: `${deadline} passed during ${where}${this.waiting === undefined ? '' : ` (waiting for the answer to ${this.waiting.command})`}` });
  }

  protected describe(result: ExchangeResult): void {
    result.ftp = { ...this.ftp };
    if (this.bytes !== undefined) result.bytes = this.bytes;
  }

  protected override end(outcome: ProbeOutcome, error?: ProbeError): ExchangeResult {
    const result = super.end(outcome, error);
    this.untrackData?.();
    this.data?.destroy();
    return result;
  }

  protected opened(stream: net.Socket): void {
    this.phase = 'request';
    this.control = stream;
    this.stallTimer = this.after(this.deadlines.stallMs, () => this.expire(AGENT_ERROR_CODES.stall, `stall deadline of ${this.deadlines.stallMs} ms without an answer`));
    stream.setEncoding('latin1');
    stream.on('data', (text: string) => this.received(text));
    stream.on('end', () => {
      if (!this.ended) this.end(this.phase === 'request' ? 'reset' : 'truncated', { message: `the listener closed the control connection${this.ftp.reply === undefined ? '' : ` after "${this.ftp.reply}"`}` });
    });
    const { name } = this.file;
    this.expect(CODES.banner, 'the banner', () => {
      this.ftp.controlOk = true;
      this.send(`USER ${this.user}`, CODES.userOk, () =>
        this.send(`PASS ${this.secrets.token}`, CODES.loggedIn, () => {
          this.ftp.loginOk = true;
          this.send('TYPE I', CODES.typeOk, () =>
            this.send(`SIZE ${name}`, CODES.size, (reply) => {
              const size = Number(reply.line.slice(4).trim());
              if (size !== this.file.size) {
                this.end('corrupt', { message: `SIZE answered ${clip(reply.line.slice(4), 40)}, planned ${this.file.size}` });
                return;
              }
              this.passive();
            }),
          );
        }),
      );
    });
  }

  /** EPSV where PASV cannot say the address (IPv6). */
  private passive(): void {
    const extended = net.isIP(this.target.address) === 6;
    this.send(extended ? 'EPSV' : 'PASV', extended ? 229 : CODES.passive, (reply) => {
      const port = passivePort(reply.line);
      if (port === undefined) {
        this.end('corrupt', { message: `no data port in the passive answer ${JSON.stringify(clip(reply.line, 80))}` });
        return;
      }
      this.ftp.pasvPort = port;
      this.connectData(port);
    });
  }

  private connectData(port: number): void {
    this.phase = 'data-connect';
    // The data connection goes to the control connection's address, from its source.
    const socket = this.connectTo(port);
    if (socket === undefined) return;
    this.data = socket;
    this.untrackData = track(() => socket.destroy());
    const timer = this.after(this.deadlines.connectMs, () =>
      this.end('timeout', { code: AGENT_ERROR_CODES.connectTimeout, message: `data connection to port ${port} did not complete within ${this.deadlines.connectMs} ms` }),
    );
    socket.on('error', (err) => this.fail(err));
    socket.once('connect', () => {
      clearTimeout(timer);
      if (this.ended) return;
      this.ftp.dataConnected = true;
      this.phase = 'body';
      this.bytes = 0;
      this.stallTimer?.refresh();
      this.receiveFile(socket);
      this.send(`RETR ${this.file.name}`, CODES.opening, () => {
        this.waiting = { code: CODES.transferComplete, command: 'RETR', then: () => this.completed() };
      });
    });
  }

  private receiveFile(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      if (this.ended) return;
      this.bytes = (this.bytes ?? 0) + chunk.length;
      this.stallTimer?.refresh();
      const problem = this.check.take(chunk);
      if (problem !== undefined) this.end('corrupt', { message: problem });
    });
    socket.on('end', () => {
      if (this.ended) return;
      const verdict = this.check.finish();
      if (!verdict.ok) {
        this.end(verdict.outcome, { message: verdict.message });
        return;
      }
      this.fileDone = true;
      if (!this.transferComplete) this.phase = 'response';
      this.finishIfDone();
    });
  }

  private completed(): void {
    this.transferComplete = true;
    this.finishIfDone();
  }

  /** The whole file arrived and checked out, and the listener said 226: say goodbye. */
  private finishIfDone(): void {
    if (!this.fileDone || !this.transferComplete) return;
    this.control?.write('QUIT\r\n');
    this.end('ok');
  }

  private received(text: string): void {
    if (this.ended) return;
    this.stallTimer?.refresh();
    const { replies, problem } = this.replies.take(text);
    for (const reply of replies) {
      if (this.ended) return;
      this.ftp.reply = clip(reply.line, MAX_FTP_LINE_BYTES);
      const step = this.waiting;
      if (step === undefined) continue;
      if (reply.code !== step.code) {
        // A refusal during the transfer (426 aborted) is the file not arriving whole.
        this.end(this.phase === 'body' || this.phase === 'response' ? 'truncated' : 'ftp-error', { message: `${step.command} answered "${clip(reply.line, 200)}"` });
        return;
      }
      this.waiting = undefined;
      step.then(reply);
    }
    if (problem !== undefined && !this.ended) this.end('corrupt', { message: problem });
  }

  private expect(code: number, command: string, then: (reply: Reply) => void): void {
    this.waiting = { code, command, then };
  }

  private send(line: string, code: number, then: (reply: Reply) => void): void {
    if (this.ended || this.control === undefined) return;
    // The token is not evidence: the message names the command only.
    this.expect(code, line.startsWith('PASS ') ? 'PASS' : line, then);
    this.control.write(`${line}\r\n`);
  }
}
