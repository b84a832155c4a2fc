/**
 * The node level: did SSH and the agent do their part? Judged once per session; the run uses the
 * verdict to decide whether another address of the node is worth trying, and diagnosis takes it
 * from there (controller/diagnose/node.ts).
 */
import type { AgentEvent, AgentFatal } from '../../src/protocol.js';
import type { SessionBreak, SessionFailureEvidence } from '../../src/evidence.js';
import type { NodeKind } from '../../src/verdicts.js';
import type { JudgedSession, SessionEvidence } from './inputs.js';

const SSH_STDERR_RULES: readonly [RegExp, NodeKind][] = [
  [/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i, 'ssh-hostkey-mismatch'],
  [/No \S+ host key is known|Host key verification failed/i, 'ssh-hostkey-unknown'],
  [/Connection refused/i, 'ssh-refused'],
  [/Permission denied|Too many authentication failures/i, 'ssh-auth-failed'],
  [/timed out|No route to host|Network is unreachable|Could not resolve hostname|Name or service not known|Temporary failure in name resolution/i, 'ssh-unreachable'],
];

/**
 * stderr lines only a session past authentication writes: ssh's own at LogLevel VERBOSE, and the
 * detection snippet's (exactly its words: a server's pre-login banner could say "twoway:" too).
 */
const PAST_AUTH = /^(Authenticated to |twoway: no agent (runtime on PATH|flavour chosen))/m;

/**
 * What ssh writes when an established session goes away: the keep-alives unanswered
 * (ServerAliveInterval, controller/ssh/session.ts), or the connection reset, closed or cut.
 */
const SESSION_LOST = /Timeout, server .* not responding|Broken pipe|Connection reset|closed by remote host|Connection closed by|Read from remote host|Software caused connection abort|Connection timed out|No route to host|Network is unreachable/i;

/** Whether the session got the remote command running, whatever the agent did after. */
function sshWasUp(session: SessionEvidence): boolean {
  return (session.stdoutBytes ?? 0) > 0 || session.runtimeProblem !== undefined || PAST_AUTH.test(session.stderr);
}

/** The node-level verdict, or undefined when SSH and the agent both did their part. */
export function classifySession(session: SessionEvidence, events: readonly AgentEvent[]): NodeKind | undefined {
  const sawAgent = events.some((e) => e.t === 'agent');
  const done = events.some((e) => e.t === 'done');
  const fatal = events.some((e) => e.t === 'fatal');
  // ssh's own exit status after the remote command was running: the connection broke under it.
  const brokeUnder = session.exitCode === 255 && !done && !fatal && !session.timedOut && !session.interrupted && session.invalidOutput === undefined;
  if (brokeUnder && (sawAgent || sshWasUp(session)) && SESSION_LOST.test(session.stderr)) return 'ssh-session-lost';
  if (!sawAgent && session.exitCode === 255) {
    const rule = SSH_STDERR_RULES.find(([pattern]) => pattern.test(session.stderr));
    return rule?.[1] ?? 'ssh-unreachable';
  }
  if (!sawAgent && (session.exitCode === 127 || session.runtimeProblem !== undefined)) return 'agent-no-runtime';
  // Stopped at the deadline: the agent's fault once SSH was up, even if it never said hello.
  if (session.timedOut && !done) return sawAgent || sshWasUp(session) ? 'agent-timeout' : 'ssh-unreachable';
  if (session.interrupted) return undefined;
  if (session.invalidOutput !== undefined || fatal || !done) return 'agent-failed';
  return undefined;
}

/** The session with its verdict attached, as the run passes it on to diagnosis. */
export function judgeSession<S extends SessionEvidence>(session: S, events: readonly AgentEvent[]): S & JudgedSession {
  return { ...session, verdict: classifySession(session, events) };
}

/** An agent event in short, as the last line a broken session gave. */
function eventLabel(e: AgentEvent): string {
  switch (e.t) {
    case 'agent':
      return `agent hello (${e.flavour} ${e.version})`;
    case 'probe':
      return `probe ${e.id}: ${e.outcome}`;
    case 'retry':
      return `retry of ${e.id}: ${e.outcome}`;
    case 'pathmtu':
      return `path MTU toward ${e.to}`;
    case 'facts':
      return 'facts';
    case 'halfopen':
      return 'half-open sample';
    case 'done':
      return 'done';
    case 'fatal':
      return 'fatal';
  }
}

/** Where a session broke: how many of the `planned` probe results had arrived, and the last line and when. */
export function sessionBreak(session: SessionEvidence, events: readonly AgentEvent[], planned: number): SessionBreak {
  const last = events.at(-1);
  return {
    results: events.filter((e) => e.t === 'probe').length,
    planned,
    ...(last === undefined ? {} : { lastLine: eventLabel(last) }),
    ...(session.lastEventMs === undefined ? {} : { lastLineMs: session.lastEventMs }),
    endedMs: session.ms,
  };
}

/** What a node-level failure rests on, for the report: the session's end, the agent's last word, and where a lost session broke. */
export function sessionFailureEvidence(session: JudgedSession, events: readonly AgentEvent[], planned: number): SessionFailureEvidence {
  return {
    kind: 'session',
    exitCode: session.exitCode,
    stderr: session.stderr.trim().split('\n').slice(-5).join('\n'),
    timedOut: session.timedOut,
    invalidOutput: session.invalidOutput,
    fatal: events.find((e): e is AgentFatal => e.t === 'fatal'),
    ...(session.runtimeProblem === undefined ? {} : { runtimeProblem: session.runtimeProblem }),
    ...(session.agent === undefined ? {} : { flavour: session.agent.flavour }),
    ...(session.verdict === 'ssh-session-lost' ? { lost: sessionBreak(session, events, planned) } : {}),
  };
}
