/**
 * The idle-hold channel: a WebSocket on the callback listener's own servers, for a request that
 * admission (listener-admission.ts) has already authenticated. The listener answers "open", pushes
 * after the planned hold and answers "ping" with "pong" (HOLD_MESSAGES in src/protocol.ts); the
 * ledger records each step, so a cut hold shows which direction still worked.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';
import { HOLD_MESSAGES, MAX_HOLD_MESSAGE_BYTES } from '../../src/protocol.js';
import type { LedgerRequest } from './ledger.js';
import type { Admitted } from './listener-admission.js';

export class HoldChannels {
  /**
   * Only the handshake and the framing: authentication happens before a socket is handed over.
   * Made on the first hold: ws is loaded only by runs that plan one (--idle-hold), not by every run.
   */
  private server: Promise<WebSocketServer> | undefined;

  /** Completes the WebSocket handshake for an admitted hold probe and holds the channel. */
  open(req: IncomingMessage, socket: Socket, head: Buffer, admitted: Admitted): void {
    const { probe, entry } = admitted;
    socket.once('close', () => (entry.aborted = !entry.completed));
    this.server ??= import('ws').then(({ WebSocketServer }) => new WebSocketServer({ noServer: true, maxPayload: MAX_HOLD_MESSAGE_BYTES, perMessageDeflate: false }));
    void this.server.then((server) =>
      server.handleUpgrade(req, socket, head, (ws) => {
        entry.completed = true;
        hold(ws, probe.holdMs ?? 0, entry);
      }),
    );
  }
}

/** The listener's side of HOLD_MESSAGES, each step recorded in the probe's ledger entry. */
function hold(ws: WebSocket, holdMs: number, entry: LedgerRequest): void {
  let pushTimer: NodeJS.Timeout | undefined;
  // The agent reports what the channel did; a broken one must not take the listener down.
  ws.on('error', () => undefined);
  ws.on('close', () => clearTimeout(pushTimer));
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? '' : data.toString();
    if (text === HOLD_MESSAGES.open && entry.holdOpened !== true) {
      entry.holdOpened = true;
      ws.send(HOLD_MESSAGES.open);
      pushTimer = setTimeout(() => ws.send(HOLD_MESSAGES.push, (err) => (entry.holdPushSent = !err)), holdMs);
    } else if (text === HOLD_MESSAGES.ping && entry.holdOpened === true) {
      entry.holdPingReceived = true;
      ws.send(HOLD_MESSAGES.pong);
    }
  });
}
