/**
 * The lab's only way to run a program: spawn (never a shell with interpolated strings), always
 * with a timeout, failures wrapped in LabError naming the command and its stderr. Each command runs
 * in its own process group, so a Ctrl-C at the terminal reaches the caller (which decides) and never
 * kills an `ip` or `nft` halfway through building or tearing down the lab.
 */
import { spawn } from 'node:child_process';
import { LabError } from '../../src/errors.js';

/** Most lab commands (ip, nft, tc) finish in milliseconds; 15 s means something hangs. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 15_000;

/**
 * sbin directories appended to PATH: `ip`, `nft`, `tc` and `sshd` live there, and a non-login root
 * shell (sudo, cron) does not always have them on PATH.
 */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export function labEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter((p) => p !== '');
  for (const dir of SBIN_DIRS) if (!path.includes(dir)) path.push(dir);
  // LC_ALL=C: error texts we match on (e.g. "File exists") must not be translated.
  return { ...process.env, PATH: path.join(':'), LC_ALL: 'C', ...extra };
}

export interface RunOptions {
  timeoutMs?: number;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * On timeout, SIGTERM first and SIGKILL only this long after (for a program that must be let
   * finish a step, such as apt-get with dpkg); without it, a timeout is SIGKILL at once.
   */
  killGraceMs?: number;
}

export interface RunResult {
  /** null when the child was killed (timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Runs a command and reports how it ended; never throws for a non-zero exit. */
export function tryRun(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: options.env ?? labEnv(), stdio: 'pipe', detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let timedOut = false;
    let overflow = false;
    // The group is the child's own (detached): this ends what it started too. Only while the leader
    // is not reaped: after that its PID, which names the group, may be given to another process.
    const signalGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    const killGroup = (): void => {
      signalGroup('SIGKILL');
      // A leader already reaped cannot name its group any more; whatever it left holding our pipes must not hold this call.
      if (child.exitCode !== null || child.signalCode !== null) for (const stream of [child.stdout, child.stderr]) stream.destroy();
    };
    let graceTimer: NodeJS.Timeout | undefined;
    const collect = (into: Buffer[]) => (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > MAX_OUTPUT_BYTES) {
        overflow = true;
        killGroup();
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    const timer = setTimeout(() => {
      timedOut = true;
      if (options.killGraceMs === undefined) return killGroup();
      signalGroup('SIGTERM');
      graceTimer = setTimeout(killGroup, options.killGraceMs);
    }, timeoutMs);
    let spawnError: Error | undefined;
    child.once('error', (e) => {
      spawnError = e;
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      // A spawn failure (ENOENT) has no exit status.
      if (spawnError !== undefined) resolve({ code: 127, stdout, stderr: stderr || `${command}: ${spawnError.message}`, timedOut: false });
      else if (overflow) resolve({ code: null, stdout, stderr: `${stderr}\n${command}: more than ${MAX_OUTPUT_BYTES} bytes of output; stopped`, timedOut: false });
      else resolve({ code: timedOut ? null : code, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => {
      // The child may exit before reading its input (EPIPE); the exit status tells what happened.
    });
    child.stdin.end(options.input);
  });
}

export function describeCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Runs a command and returns its stdout; a non-zero exit or a timeout is a LabError. */
export async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await tryRun(command, args, options);
  if (result.code === 0) return result.stdout;
  const what = describeCommand(command, args);
  const how = result.timedOut
    ? `timed out after ${options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS} ms`
    : `exited with status ${result.code ?? 'unknown'}`;
  const stderr = result.stderr.trim();
  throw new LabError(`${what}: ${how}${stderr ? `: ${stderr}` : ''}`);
}

/** The argument list that runs `command args` inside a network namespace. */
export function inNetns(netns: string, command: string, args: readonly string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', netns, command, ...args]];
}

export function runIn(netns: string, command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const [cmd, full] = inNetns(netns, command, args);
  return run(cmd, full, options);
}

export function tryRunIn(netns: string, command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [cmd, full] = inNetns(netns, command, args);
  return tryRun(cmd, full, options);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
