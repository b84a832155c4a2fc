/**
 * The node level: did SSH and the agent do their part? Judged once per session; the run uses the
 * verdict to decide whether another address of the node is worth trying, and diagnosis takes it
 * from there (controller/diagnose/node.ts).
 */
import type { AgentEvent, AgentFatal } from '../../src/protocol.js';
import type { SessionFailureEvidence } from '../../src/evidence.js';
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

/** Whether the session got the remote command running, whatever the agent did after. */
function sshWasUp(session: SessionEvidence): boolean {
  return (session.stdoutBytes ?? 0) > 0 || session.runtimeProblem !== undefined || PAST_AUTH.test(session.stderr);
}

/** The node-level verdict, or undefined when SSH and the agent both did their part. */
export function classifySession(session: SessionEvidence, events: readonly AgentEvent[]): NodeKind | undefined {
  const sawAgent = events.some((e) => e.t === 'agent');
  const done = events.some((e) => e.t === 'done');
  if (!sawAgent && session.exitCode === 255) {
    const rule = SSH_STDERR_RULES.find(([pattern]) => pattern.test(session.stderr));
    return rule?.[1] ?? 'ssh-unreachable';
  }
  if (!sawAgent && (session.exitCode === 127 || session.runtimeProblem !== undefined)) return 'agent-no-runtime';
  // Stopped at the deadline: the agent's fault once SSH was up, even if it never said hello.
  if (session.timedOut && !done) return sawAgent || sshWasUp(session) ? 'agent-timeout' : 'ssh-unreachable';
  if (session.interrupted) return undefined;
  if (session.invalidOutput !== undefined || events.some((e) => e.t === 'fatal') || !done) return 'agent-failed';
  return undefined;
}

/** The session with its verdict attached, as the run passes it on to diagnosis. */
export function judgeSession<S extends SessionEvidence>(session: S, events: readonly AgentEvent[]): S & JudgedSession {
  return { ...session, verdict: classifySession(session, events) };
}

/** What a node-level failure rests on, for the report: the session's end and the agent's last word. */
export function sessionFailureEvidence(session: SessionEvidence, events: readonly AgentEvent[]): SessionFailureEvidence {
  return {
    kind: 'session',
    exitCode: session.exitCode,
    stderr: session.stderr.trim().split('\n').slice(-5).join('\n'),
    timedOut: session.timedOut,
    invalidOutput: session.invalidOutput,
    fatal: events.find((e): e is AgentFatal => e.t === 'fatal'),
    ...(session.runtimeProblem === undefined ? {} : { runtimeProblem: session.runtimeProblem }),
    ...(session.agent === undefined ? {} : { flavour: session.agent.flavour }),
  };
}
