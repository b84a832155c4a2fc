/**
 * One HTTP exchange on a fresh connection, in explicit phases: connect, tls (https only), request,
 * response (waiting for the status line and headers), body. An upload sends its body in the body
 * phase, before the response; everything else receives it after.
 */
import type * as http from 'http';
import type * as net from 'net';
import { AGENT_ERROR_CODES, UPLOAD_CORRUPT_STATUS } from '../../src/protocol.js';
import type { Deadlines, Endpoint } from '../../src/protocol.js';
import type { BodyCheck } from './body-checks.js';
import { deadlineOutcome } from './outcomes.js';
import { Exchange } from './exchange.js';
import type { ExchangeResult, Secrets, Target } from './exchange.js';
import { UploadBody } from './upload.js';

export interface AttemptSpec extends Target {
  method: 'GET' | 'POST';
  /** Path with query string. */
  path: string;
  /** JSON request body (status POSTs). */
  body?: string;
  /** Upload: send this many bytes of upload content as the body. */
  uploadSize?: number;
  check: BodyCheck;
}

export class Attempt extends Exchange {
  /** Body bytes received, or sent for an upload; undefined until the body phase starts. */
  private bytes: number | undefined;
  private seen: Endpoint | undefined;
  /** Re-armed by every sign of progress; created when the request goes out. */
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly spec: AttemptSpec,
    deadlines: Deadlines,
    secrets: Secrets,
  ) {
    super(spec, deadlines, secrets);
  }

  expire(code: string, deadline: string): ExchangeResult {
    const where = this.phase === 'body' ? `body, at byte ${this.bytes ?? 0}` : this.phase;
    return this.end(deadlineOutcome(this.phase), { code, message: `${deadline} passed during ${where}` });
  }

  protected describe(result: ExchangeResult): void {
    if (this.bytes !== undefined) result.bytes = this.bytes;
    if (this.seen !== undefined) result.seen = this.seen;
  }

  protected opened(stream: net.Socket): void {
    const { method, path, body, uploadSize } = this.spec;
    const headers: http.OutgoingHttpHeaders = { connection: 'close' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    if (uploadSize !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = uploadSize;
    }
    // The stall deadline covers sending an upload and the wait for the answer as well as the body.
    this.stallTimer = this.after(this.deadlines.stallMs, () => this.stall());
    const req = this.sendRequest(stream, method, path, headers);
    if (req === undefined) return;
    req.on('finish', () => {
      if (this.httpStatus === undefined) this.phase = 'response';
    });
    req.on('response', (res: http.IncomingMessage) => this.response(res));
    if (uploadSize === undefined) req.end(body);
    else this.upload(req, new UploadBody(uploadSize));
  }

  /**
   * One chunk at a time, the next once the socket has taken the last: that is backpressure, and
   * each chunk taken is progress. Its callback means the kernel accepted it, so `bytes` is what
   * left the agent, not what reached the listener (the ledger says that).
   */
  private upload(req: http.ClientRequest, body: UploadBody): void {
    this.phase = 'body';
    this.bytes = 0;
    const next = (): void => {
      if (this.ended) return;
      const chunk = body.next();
      if (chunk === undefined) {
        req.end();
        return;
      }
      req.write(chunk, (err?: Error | null) => {
        if (err) return; // reported by the request's 'error' event
        this.bytes = (this.bytes ?? 0) + chunk.length;
        this.stallTimer?.refresh();
        next();
      });
    };
    next();
  }

  /**
   * The listener answers an upload only once its last byte is in, so silence after sending is the
   * body stuck on the way (in a black hole's buffers), not an answer lost: stalled either way.
   */
  private stall(): void {
    const message = `stall deadline of ${this.deadlines.stallMs} ms without progress`;
    if (this.spec.uploadSize !== undefined && this.phase === 'response') {
      this.end('stalled', { code: AGENT_ERROR_CODES.stall, message: `${message} passed while waiting for the answer, after sending ${this.bytes ?? 0} bytes` });
    } else {
      this.expire(AGENT_ERROR_CODES.stall, message);
    }
  }

  private response(res: http.IncomingMessage): void {
    // Error listeners stay for good: Node may still emit on a torn-down response.
    res.on('error', (err) => this.fail(err));
    if (this.ended) return;
    this.stallTimer?.refresh();
    this.httpStatus = res.statusCode;
    const status = res.statusCode ?? 0;
    const upload = this.spec.uploadSize !== undefined;
    if (status < 200 || status > 299) {
      this.phase = 'response';
      const what = `listener answered ${status} ${res.statusMessage ?? ''}`.trim();
      if (upload && status === UPLOAD_CORRUPT_STATUS) this.end('corrupt', { message: `${what}: the upload arrived with other content than planned` });
      else this.end('http-error', { message: what });
      return;
    }
    this.phase = 'body';
    if (!upload) this.bytes = 0;
    const { check } = this.spec;
    res.on('data', (chunk: Buffer) => {
      if (this.ended) return;
      if (!upload) this.bytes = (this.bytes ?? 0) + chunk.length;
      this.stallTimer?.refresh();
      const problem = check.take(chunk);
      if (problem !== undefined) this.end('corrupt', { message: problem });
    });
    // A connection closed mid-body: Node 12 emits 'aborted' then still 'end'; Node 20 'aborted'
    // then an error. 'aborted' comes first in both, and res.complete guards 'end'.
    const truncated = (): void => {
      this.end('truncated', { message: upload ? 'connection closed in the middle of the answer' : `connection closed after ${this.bytes ?? 0} bytes of the body` });
    };
    res.on('aborted', truncated);
    res.on('end', () => {
      if (!res.complete) {
        truncated();
        return;
      }
      const verdict = check.finish();
      if (verdict.ok) {
        this.seen = verdict.seen;
        this.end('ok');
      } else {
        this.end(verdict.outcome, { message: verdict.message });
      }
    });
  }
}
