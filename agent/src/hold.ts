/**
 * The idle-hold probe: a WebSocket to the listener that stays quiet for holdMs, then checks that it
 * still carries traffic both ways (the exchange is HOLD_MESSAGES in src/protocol.ts). Firewalls and
 * NAT forget idle connections after their own timeout, and an update session that waits quietly
 * (a server rebooting into new firmware) meets exactly that.
 *
 * Phases: connect, tls, request (the upgrade sent), response (waiting for the upgrade and the
 * listener's "open"), hold (quiet, then the check). The probe deadline bounds the set-up only: the
 * hold itself is bounded by its own timers, holdMs of quiet then stallMs for push and pong.
 */
import type * as http from 'http';
import type * as net from 'net';
import { AGENT_ERROR_CODES, HOLD_MESSAGES } from '../../src/protocol.js';
import type { Deadlines } from '../../src/protocol.js';
import { now, since } from './clock.js';
import { Exchange } from './exchange.js';
import type { ExchangeResult, Secrets, Target } from './exchange.js';
import { deadlineOutcome } from './outcomes.js';
import { clip } from './output.js';
import { FrameReader, OPCODES, clientFrame, expectedAccept, websocketKey } from './websocket.js';
import type { Frame } from './websocket.js';

export class Hold extends Exchange {
  private readonly key = websocketKey();
  private readonly reader = new FrameReader();
  /** The upgraded connection. */
  private channel: net.Socket | undefined;
  /** Covers the set-up: the upgrade answer and the listener's "open". */
  private stallTimer: NodeJS.Timeout | undefined;
  /** When the open exchange completed; undefined until then. */
  private openedAt: number | undefined;
  /** How long the channel was quiet; set when the ping goes out. */
  private idleMs: number | undefined;
  private push = false;
  private pong = false;

  constructor(
    target: Target,
    private readonly path: string,
    private readonly holdMs: number,
    deadlines: Deadlines,
    secrets: Secrets,
  ) {
    super(target, deadlines, secrets);
  }

  expire(code: string, deadline: string): ExchangeResult {
    const where = this.openedAt === undefined ? this.phase : `the hold, ${since(this.openedAt)} ms after the open exchange`;
    return this.end(deadlineOutcome(this.phase), { code, message: `${deadline} passed during ${where}` });
  }

  protected describe(result: ExchangeResult): void {
    if (this.openedAt !== undefined) result.hold = { idleMs: this.idleMs ?? since(this.openedAt), push: this.push, pong: this.pong };
  }

  protected opened(stream: net.Socket): void {
    this.stallTimer = this.after(this.deadlines.stallMs, () => this.expire(AGENT_ERROR_CODES.stall, `stall deadline of ${this.deadlines.stallMs} ms without an answer`));
    const req = this.sendRequest(stream, 'GET', this.path, {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': this.key,
    });
    if (req === undefined) return;
    req.on('finish', () => {
      if (this.phase === 'request') this.phase = 'response';
    });
    // Anything but 101: the listener refused (or something else answered in its place).
    req.on('response', (res: http.IncomingMessage) => {
      res.on('error', (err) => this.fail(err));
      this.phase = 'response';
      this.httpStatus = res.statusCode;
      this.end('http-error', { message: `listener answered ${res.statusCode ?? 0} instead of switching to WebSocket` });
    });
    req.on('upgrade', (res: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.upgraded(res, socket, head));
    req.end();
  }

  private upgraded(res: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    if (this.ended) return;
    this.phase = 'response';
    this.httpStatus = res.statusCode;
    if (res.headers['sec-websocket-accept'] !== expectedAccept(this.key)) {
      this.end('corrupt', { message: 'the upgrade answer carries the wrong Sec-WebSocket-Accept: not a WebSocket endpoint' });
      return;
    }
    this.channel = socket;
    this.stallTimer?.refresh();
    socket.on('data', (chunk: Buffer) => this.take(chunk));
    socket.on('close', () => this.closed());
    this.send(HOLD_MESSAGES.open);
    // Bytes that came with the upgrade answer: the listener may have answered "open" already.
    if (head.length > 0) this.take(head);
  }

  private take(chunk: Buffer): void {
    if (this.ended) return;
    let frames: Frame[];
    try {
      frames = this.reader.take(chunk);
    } catch (err) {
      this.end('corrupt', { message: `WebSocket protocol error: ${(err as Error).message}` });
      return;
    }
    for (const frame of frames) {
      if (this.ended) return;
      if (frame.opcode === OPCODES.text) this.message(frame.payload.toString('utf8'));
      else if (frame.opcode === OPCODES.ping) this.channel?.write(clientFrame(OPCODES.pong, frame.payload));
      else if (frame.opcode === OPCODES.close) this.closed();
      // A pong is a keep-alive answer that carries nothing for the exchange; anything else is not ours.
      else if (frame.opcode !== OPCODES.pong) this.end('corrupt', { message: `unexpected WebSocket frame, opcode ${frame.opcode}` });
    }
  }

  private message(text: string): void {
    if (this.openedAt === undefined) {
      if (text === HOLD_MESSAGES.open) this.quiet();
      else this.end('corrupt', { message: `expected "${HOLD_MESSAGES.open}" from the listener, got ${JSON.stringify(clip(text, 64))}` });
      return;
    }
    // A push may come a little before our quiet time ends (the clocks start apart): it still counts.
    if (text === HOLD_MESSAGES.push) this.push = true;
    else if (text === HOLD_MESSAGES.pong && this.idleMs !== undefined) this.pong = true;
    else {
      this.end('corrupt', { message: `unexpected message ${JSON.stringify(clip(text, 64))} on the hold channel` });
      return;
    }
    if (this.push && this.pong) this.end('ok');
  }

  private quiet(): void {
    clearTimeout(this.stallTimer);
    this.cancelProbeDeadline();
    this.phase = 'hold';
    const openedAt = now();
    this.openedAt = openedAt;
    this.after(this.holdMs, () => this.check(openedAt));
  }

  private check(openedAt: number): void {
    // Node's timers keep millisecond time and may fire up to 1 ms early: the hold is never shorter than asked.
    const quietMs = since(openedAt);
    if (quietMs < this.holdMs) {
      this.after(this.holdMs - quietMs, () => this.check(openedAt));
      return;
    }
    this.idleMs = quietMs;
    this.send(HOLD_MESSAGES.ping);
    const { stallMs } = this.deadlines;
    this.after(stallMs, () => {
      const missing = [this.push ? '' : `no "${HOLD_MESSAGES.push}"`, this.pong ? '' : `no "${HOLD_MESSAGES.pong}"`].filter((m) => m !== '').join(' and ');
      this.end('no-response', { code: AGENT_ERROR_CODES.stall, message: `${missing} within ${stallMs} ms after ${this.idleMs ?? 0} ms of quiet` });
    });
  }

  /** The listener side closed the channel (a close frame, or the TCP connection ended). */
  private closed(): void {
    if (this.openedAt !== undefined) this.end('truncated', { message: `the channel was closed ${since(this.openedAt)} ms into the hold` });
    else this.end('reset', { message: `the connection closed before the listener answered "${HOLD_MESSAGES.open}"` });
  }

  private send(text: string): void {
    this.channel?.write(clientFrame(OPCODES.text, Buffer.from(text)));
  }
}
