/**
 * Running the controller inside a network namespace (the lab's controller side). Node cannot
 * setns(2) itself, so the CLI re-executes itself under `ip netns exec`, once, marked by an
 * environment variable. The process the operator started stays as a wrapper: it relays stop
 * signals, and exits as the inner process did.
 *
 * The wrapper and the inner process share a Node IPC channel (a socketpair, fd 3 in the child, kept
 * across `ip netns exec`, which execs the command in place). It carries the relayed signals, and its
 * end-of-file tells the inner process the wrapper is gone, also after SIGKILL, which the wrapper
 * cannot catch. This was chosen over PR_SET_PDEATHSIG (`setpriv --pdeathsig`): the socket exists
 * from the fork on, so there is no window in which the wrapper can die unnoticed (the death signal
 * is armed only once setpriv runs, and fires when the forking thread ends, not the process), it needs
 * no extra program, and a relayed signal arrives as a message the inner process can tell apart from
 * one it received itself (see src/cli/stop-requests.ts).
 */
import { spawn } from 'node:child_process';
import { STOP_SIGNALS, exitCodeAfter, isStopSignal, outliveHangup, type StopSignal } from './stop-signals.js';

const MARK = 'TWOWAY_NETNS';

export function insideNetns(name: string): boolean {
  return process.env[MARK] === name;
}

/** What the wrapper sends over the channel: a stop signal it received. */
interface RelayedSignal {
  twowayStop: StopSignal;
}

function isRelayedSignal(message: unknown): message is RelayedSignal {
  return typeof message === 'object' && message !== null && isStopSignal((message as Partial<RelayedSignal>).twowayStop);
}

/** The wrapper's exit status: the child's own code, or 128 + the signal that ended it (the shell's convention). */
export function exitStatusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal !== null) return exitCodeAfter(signal);
  return code ?? 1;
}

export function reexecInNetns(name: string): Promise<number> {
  const child = spawn('ip', ['netns', 'exec', name, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [MARK]: name },
  });
  // Every stop signal is relayed, also one the child got itself (a Ctrl-C reaches the whole process
  // group): the child counts a signal it got both ways once.
  const relay = (sig: NodeJS.Signals): void => {
    outliveHangup(sig);
    if (isStopSignal(sig) && child.connected) child.send({ twowayStop: sig } satisfies RelayedSignal, () => undefined);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, relay);
  return new Promise((resolve) => {
    const done = (status: number): void => {
      for (const sig of STOP_SIGNALS) process.off(sig, relay);
      resolve(status);
    };
    child.once('error', (err) => {
      process.stderr.write(`twoway: cannot enter network namespace "${name}": ${err.message}\n`);
      done(2);
    });
    child.once('exit', (code, signal) => done(exitStatusOf(code, signal)));
  });
}

/** What the inner process hears from its wrapper. */
export interface WrapperListener {
  relayed(sig: StopSignal): void;
  gone(): void;
}

let listener: WrapperListener | undefined;
let startedByWrapper = false;

/**
 * Called once at start: when a wrapper started this process, listen to it. Until a command takes
 * over with `onWrapper`, a relayed signal is raised here as if it had come directly, and the
 * wrapper's death as a hang-up, so nothing outlives the wrapper by default. The channel never keeps
 * this process alive by itself.
 */
export function followWrapper(): void {
  const channel = process.channel;
  if (channel === undefined || startedByWrapper) return;
  startedByWrapper = true;
  process.on('message', (message: unknown) => {
    if (!isRelayedSignal(message)) return;
    if (listener !== undefined) listener.relayed(message.twowayStop);
    else process.kill(process.pid, message.twowayStop);
  });
  process.on('disconnect', () => {
    if (listener !== undefined) listener.gone();
    else process.kill(process.pid, 'SIGHUP');
  });
  channel.unref();
}

/** Takes the wrapper's messages until the returned function is called; a wrapper already gone is told at once. */
export function onWrapper(taker: WrapperListener): () => void {
  listener = taker;
  if (startedByWrapper && !process.connected) taker.gone();
  return () => {
    if (listener === taker) listener = undefined;
  };
}
