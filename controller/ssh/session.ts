/**
 * The SSH transport: the system OpenSSH client (so ~/.ssh/config, agents and ProxyJump all work),
 * one session per node, the agent streamed on stdin. Output is read line by line with hard bounds
 * in bytes, every line validated; the session is ended when the agent's deadline passes.
 */
import { spawn } from 'node:child_process';
import { MAX_AGENT_LINE_BYTES, MAX_AGENT_OUTPUT_BYTES, parseAgentEvent, type AgentEvent } from '../../src/protocol.js';
import { BoundedLines } from './bounded-lines.js';
import { mergeSshOptions } from './options.js';

export interface SshTarget {
  /** Address or ssh_config Host alias. */
  destination: string;
  user?: string;
  port?: number;
  key?: string;
}

export interface SshSettings {
  /** -F FILE */
  configFile?: string;
  connectTimeoutSec: number;
  acceptNewHostKeys: boolean;
  /** --ssh-option: passed as -o VALUE before ours, so the operator's win (see sshArgs). */
  extraOptions: readonly string[];
}

export interface SshSession {
  events: AgentEvent[];
  exitCode: number | null;
  signal: string | null;
  /** The last few KiB of stderr, for classification and the report. */
  stderr: string;
  /** Bytes read from stdout: any at all means SSH got the remote command running. */
  stdoutBytes: number;
  /** We ended the session because the deadline passed. */
  timedOut: boolean;
  /** We ended the session because the run was interrupted. */
  interrupted: boolean;
  /** Why reading stopped: a line that is not a valid event, a bound passed, or the agent not built. Worded for the operator. */
  invalidOutput?: string;
  ms: number;
  /** When the last agent event arrived (ms into the session): where a session that broke stood. */
  lastEventMs?: number;
}

/**
 * What goes to the node's stdin: all of it at once, or an answer to the remote command's first
 * stdout line (the runtime detection, controller/agents/detect.ts). The answer is written and stdin
 * closed; undefined closes stdin with nothing written. That first line is not an agent event.
 */
export type SessionInput = string | ((firstLine: string) => string | undefined);

const STDERR_KEEP = 8 * 1024;
const KILL_GRACE_MS = 2_000;

/**
 * ssh's arguments. Order matters, since OpenSSH keeps the first value of an option: the node's own
 * key, port and user (inventory) first, then the operator's -o options, then twoway's defaults
 * minus those the operator set (controller/ssh/options.ts; checkSshOptions refused the ones the run
 * depends on before the run began).
 */
export function sshArgs(target: SshTarget, settings: SshSettings, remoteCommand: string): string[] {
  const args = ['-T'];
  if (settings.configFile !== undefined) args.push('-F', settings.configFile);
  if (target.key !== undefined) args.push('-i', target.key);
  if (target.port !== undefined) args.push('-p', String(target.port));
  if (target.user !== undefined) args.push('-l', target.user);
  const defaults = [
    'BatchMode=yes',
    `ConnectTimeout=${settings.connectTimeoutSec}`,
    'ServerAliveInterval=5',
    'ServerAliveCountMax=3',
    `StrictHostKeyChecking=${settings.acceptNewHostKeys ? 'accept-new' : 'yes'}`,
    // The agent must not be able to open channels back through us.
    'ForwardAgent=no',
    'ForwardX11=no',
    'ClearAllForwardings=yes',
    ...(target.key === undefined ? [] : ['IdentitiesOnly=yes']),
  ];
  args.push(...mergeSshOptions(settings.extraOptions, defaults));
  args.push('--', target.destination, remoteCommand);
  return args;
}

export function runOverSsh(
  target: SshTarget,
  settings: SshSettings,
  remoteCommand: string,
  input: SessionInput,
  deadlineMs: number,
  signal: AbortSignal | undefined,
  onEvent: (event: AgentEvent) => void,
): Promise<SshSession> {
  return runAgentProcess('ssh', sshArgs(target, settings, remoteCommand), input, deadlineMs, signal, onEvent);
}

/**
 * One session as a child process (ssh, or in tests a local stand-in): stdin fed, stdout read as
 * bytes within MAX_AGENT_LINE_BYTES a line and MAX_AGENT_OUTPUT_BYTES in all, every line validated.
 * The first invalid line or passed bound ends the reading and the session.
 */
export function runAgentProcess(
  command: string,
  args: readonly string[],
  input: SessionInput,
  deadlineMs: number,
  signal: AbortSignal | undefined,
  onEvent: (event: AgentEvent) => void,
): Promise<SshSession> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const session: SshSession = { events: [], exitCode: null, signal: null, stderr: '', stdoutBytes: 0, timedOut: false, interrupted: false, ms: 0 };
  const lines = new BoundedLines(MAX_AGENT_LINE_BYTES, MAX_AGENT_OUTPUT_BYTES);
  let answer = typeof input === 'string' ? undefined : input;

  const stop = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
  };
  const reject = (why: string): void => {
    session.invalidOutput ??= why;
    stop();
  };
  const onLine = (line: string): void => {
    if (answer !== undefined) {
      const respond = answer;
      answer = undefined;
      let text: string | undefined;
      try {
        text = respond(line);
      } catch (err) {
        // Building the chosen agent failed (a missing bundle, a plan value it refuses): this node's
        // session ends with that reason; the run and its other nodes go on.
        child.stdin.end();
        return reject(`the agent could not be built: ${(err as Error).message}`);
      }
      if (text === undefined) child.stdin.end();
      else child.stdin.end(text);
      return;
    }
    if (line.trim() === '') return;
    try {
      const event = parseAgentEvent(line);
      session.events.push(event);
      session.lastEventMs = Math.round(performance.now() - started);
      onEvent(event);
    } catch (err) {
      reject(`the agent wrote an invalid line (${(err as Error).message}): ${JSON.stringify(line.slice(0, 200))}`);
    }
  };

  child.stdout.on('data', (chunk: Buffer) => {
    if (session.invalidOutput !== undefined) return;
    session.stdoutBytes += chunk.length;
    for (const line of lines.push(chunk)) {
      onLine(line);
      if (session.invalidOutput !== undefined) return;
    }
    if (lines.problem !== undefined) reject(lines.problem);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    session.stderr = (session.stderr + chunk).slice(-STDERR_KEEP);
  });
  // The node may close stdin early (no runtime, auth failure); that is not our error.
  child.stdin.on('error', () => undefined);
  if (typeof input === 'string') child.stdin.end(input);

  const timer = setTimeout(() => {
    session.timedOut = true;
    stop();
  }, deadlineMs);
  const onAbort = (): void => {
    session.interrupted = true;
    stop();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  return new Promise((resolve) => {
    let finished = false;
    const finish = (code: number | null, sig: NodeJS.Signals | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // A first line cut off by the exit gets no answer: nobody is left to read it.
      answer = undefined;
      const last = lines.end();
      if (last !== undefined && last.trim() !== '' && session.invalidOutput === undefined) onLine(last);
      session.exitCode = code;
      session.signal = sig;
      session.ms = Math.round(performance.now() - started);
      resolve(session);
    };
    child.once('error', (err) => {
      session.stderr += `\ncannot start ${command}: ${err.message}`;
      finish(255, null);
    });
    child.once('close', finish);
  });
}
