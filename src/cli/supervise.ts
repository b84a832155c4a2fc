/**
 * The process the operator starts does not run the controller itself: it re-executes twoway as its
 * child, marked by an environment variable, and supervises it. The child runs inside the
 * controller's network namespace when the inventory names one (Node cannot setns(2) itself, so the
 * child is started under `ip netns exec`, which execs the command in place). The supervisor relays
 * stop signals and exits as the child did.
 *
 * Why a child even without a namespace: SIGKILL cannot be caught, so a process killed outright
 * cannot close its firewall opening, end its SSH sessions or write its report. With the work in a
 * child, SIGKILL of the process the operator started is noticed by the child, which stops as if
 * interrupted. (SIGKILL of the whole process group still ends both.)
 *
 * Supervisor and child share a Node IPC channel (a socketpair, fd 3 in the child, kept across
 * `ip netns exec`). It carries the relayed signals, and its end-of-file tells the child the
 * supervisor is gone. This was chosen over PR_SET_PDEATHSIG (`setpriv --pdeathsig`): the socket
 * exists from the fork on, so the supervisor cannot die unnoticed in a window before the death
 * signal is armed (it is armed only once setpriv runs, and fires when the forking thread ends, not
 * the process); it needs no extra program; and a relayed signal arrives as a message the child can
 * tell apart from one it received itself (see src/cli/stop-requests.ts).
 */
import { spawn } from 'node:child_process';
import { SetupError } from '../errors.js';
import { STOP_SIGNALS, exitCodeAfter, isStopSignal, outliveHangup, type StopSignal } from './stop-signals.js';

/** Set in the child: the namespace it runs in, or empty for none. */
const MARK = 'TWOWAY_SUPERVISED';

/** The mark as this process was started with (taken out of the environment by `followSupervisor`). */
let markAtStart: string | undefined;
let startedBySupervisor = false;

/**
 * Whether this process is the supervised child, in `netns` (undefined: none); false when it is the
 * process the operator started. A mark without the supervisor's channel (an exported variable, an
 * `ip` that closed fd 3) or for another namespace is an error: re-executing again could loop.
 */
export function isSupervisedChild(netns: string | undefined): boolean {
  const mark = markAtStart;
  if (mark === undefined) return false;
  if (!startedBySupervisor) throw new SetupError(`${MARK} is set, but no twoway process started this one (unset ${MARK})`);
  if (mark !== (netns ?? '')) throw new SetupError(`started for network namespace "${mark}", but the inventory names ${netns === undefined ? 'none' : `"${netns}"`}`);
  return true;
}

/** What the supervisor sends over the channel: a stop signal it received. */
interface RelayedSignal {
  twowayStop: StopSignal;
}

function isRelayedSignal(message: unknown): message is RelayedSignal {
  return typeof message === 'object' && message !== null && isStopSignal((message as Partial<RelayedSignal>).twowayStop);
}

/** The supervisor's exit status: the child's own code, or 128 + the signal that ended it (the shell's convention). */
export function exitStatusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal !== null) return exitCodeAfter(signal);
  return code ?? 1;
}

/**
 * V8's young generation for the controller, in MiB per semi-space. Node's default (16 MiB on this
 * kind of machine) grows the heap by some 30 MiB during a run for no measurable CPU gain: the
 * controller's garbage is small and short-lived (per-request buffers and parsed events). Measured on
 * a 21-node lab run: peak RSS 134 MiB with the default, 102 MiB with 2. An operator's own
 * --max-semi-space-size (in NODE_OPTIONS or on the command line) wins.
 */
const CONTROLLER_SEMI_SPACE_MIB = 2;

/** The V8 flags the child gets beside the parent's own. */
export function childExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const setByOperator = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => /^--max-semi-space-size(=|$)/.test(a));
  return setByOperator ? [...execArgv] : [...execArgv, `--max-semi-space-size=${CONTROLLER_SEMI_SPACE_MIB}`];
}

/** Runs this very command line again as a supervised child (in `netns` if given) and returns the exit status to use. */
export function superviseChild(netns: string | undefined): Promise<number> {
  const command = [process.execPath, ...childExecArgv(process.execArgv, process.env.NODE_OPTIONS), ...process.argv.slice(1)];
  const [file, ...args] = netns === undefined ? command : ['ip', 'netns', 'exec', netns, ...command];
  const child = spawn(file!, args, {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [MARK]: netns ?? '' },
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
      process.stderr.write(netns === undefined ? `twoway: cannot start the controller: ${err.message}\n` : `twoway: cannot enter network namespace "${netns}": ${err.message}\n`);
      done(2);
    });
    child.once('exit', (code, signal) => done(exitStatusOf(code, signal)));
  });
}

/** What the child hears from its supervisor. */
export interface SupervisorListener {
  relayed(sig: StopSignal): void;
  gone(): void;
}

let listener: SupervisorListener | undefined;

/**
 * Called once at start: when a supervisor started this process, listen to it. Until a command takes
 * over with `onSupervisor`, a relayed signal is raised here as if it had come directly, and the
 * supervisor's death as a hang-up, so nothing outlives the supervisor by default. The channel never
 * keeps this process alive by itself.
 */
export function followSupervisor(): void {
  markAtStart ??= process.env[MARK];
  // What the controller starts (ssh, its tools) is nobody's supervised child.
  delete process.env[MARK];
  const channel = process.channel;
  // A channel without the mark is some other Node parent's (fork()): not ours to follow.
  if (channel === undefined || markAtStart === undefined || startedBySupervisor) return;
  startedBySupervisor = true;
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

/** Takes the supervisor's messages until the returned function is called; a supervisor already gone is told at once. */
export function onSupervisor(taker: SupervisorListener): () => void {
  listener = taker;
  if (startedBySupervisor && !process.connected) taker.gone();
  return () => {
    if (listener === taker) listener = undefined;
  };
}
