/** TCP connect: open, refused (RST), timed out (nothing came back), or unreachable (ICMP / no route). */
import { connect } from 'node:net';
import type { ForwardOutcome, ForwardResult, Prober } from './types.js';

export function outcomeOfConnectError(code: string | undefined): ForwardOutcome {
  switch (code) {
    case 'ECONNREFUSED':
    case 'ECONNRESET':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return 'error';
  }
}

export const probeTcp: Prober = (target, deadlineMs, signal) =>
  new Promise<ForwardResult>((resolve) => {
    const started = performance.now();
    const socket = connect({ host: target.address, port: target.port });
    let settled = false;
    const finish = (result: Omit<ForwardResult, 'ms'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ ...result, ms: Math.round(performance.now() - started) });
    };
    const onAbort = (): void => finish({ outcome: 'error', error: { code: 'ABORTED', message: 'run interrupted' } });
    const timer = setTimeout(
      () => finish({ outcome: 'timeout', error: { code: 'ETIMEDOUT', message: `no answer from ${target.address}:${target.port} within ${deadlineMs} ms` } }),
      deadlineMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ outcome: 'open' }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ outcome: outcomeOfConnectError(err.code), error: { code: err.code ?? 'ERROR', message: err.message } }));
  });
