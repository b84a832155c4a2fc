/**
 * The reference agent. The controller streams this bundle to `node -` over SSH, preceded by
 * `globalThis.TWOWAY_PLAN = {...};`. It reports on stdout, in order: who it is, what the node looks
 * like, one result per probe as each finishes, and done. It must run on Node >= 12: the bundle's
 * syntax is down-levelled by esbuild, but APIs are not, so only Node 12 APIs are used here.
 */
import { hostTcpDelta, readHostTcp } from './host-tcp.js';
import type { AgentEvent, AgentFacts, AgentHello, Plan, PlannedProbe, ProbeResult } from '../../src/protocol.js';
import { AGENT_ERROR_CODES, EVENT_LIMITS } from '../../src/protocol.js';
import { now, since } from './clock.js';
import { gatherFacts, hostFacts, unknownRoutes } from './facts.js';
import { sampleHalfOpen } from './halfopen.js';
import { closeAll } from './open-handles.js';
import { clip, emit, emitAndExit } from './output.js';
import { measureFromNode } from './path-mtu.js';
import { readPlan } from './plan.js';
import { PathGates } from './path-gate.js';
import { notStarted, startProbe } from './probe.js';
import { Queue } from './queue.js';
import { RetryBook, retryLine } from './retry.js';

/**
 * What the queue runs: a planned probe; the second attempt of a stalled transfer (after the probes
 * still waiting, issue 14); then the path MTU toward its controller address, bisected from the node.
 */
interface Job {
  kind: 'probe' | 'retry' | 'mtu';
  probe: PlannedProbe;
}

const AGENT_VERSION = '0.1.0';

function hello(): AgentHello {
  return { t: 'agent', flavour: 'node', version: AGENT_VERSION, runtime: clip(process.version, EVENT_LIMITS.runtime), platform: clip(process.platform, EVENT_LIMITS.platform) };
}

function failedProbe(probe: PlannedProbe, err: unknown): ProbeResult {
  const message = clip(`agent bug: ${err instanceof Error ? err.message : String(err)}`, EVENT_LIMITS.errorMessage);
  return { t: 'probe', id: probe.id, outcome: 'error', phase: 'connect', ms: 0, error: { code: AGENT_ERROR_CODES.agentBug, message } };
}

function run(plan: Plan, started: number): void {
  const tcpAtStart = readHostTcp();
  /** What each running job reports when the agent deadline cuts it. */
  const running = new Map<string, () => void>();
  const reported = new Set<string>();
  const retries = new RetryBook();
  let routes: AgentFacts['routes'] = [];
  let factsSent = false;
  let finished = false;

  // The whole-agent deadline: report every probe where it stands, then stop. Armed first, so
  // that nothing before it (a stuck route lookup) can outlast it.
  const deadline = setTimeout(() => onAgentDeadline(), plan.deadlines.totalMs);

  const report = (result: ProbeResult): void => {
    if (finished || reported.has(result.id)) return;
    reported.add(result.id);
    emit(result);
  };
  /** Retry and path MTU lines: at most one each per key, none after the end. */
  const reportOnce = (key: string, line: AgentEvent): void => {
    if (finished || reported.has(key)) return;
    reported.add(key);
    emit(line);
  };

  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(deadline);
    closeAll();
    emit(sampleHalfOpen());
    const hostTcp = hostTcpDelta(tcpAtStart, readHostTcp());
    emitAndExit(hostTcp === undefined ? { t: 'done', ms: since(started) } : { t: 'done', ms: since(started), hostTcp }, 0);
  };

  /** Runs one job: `key` names it in `running`, `expire` reports where it stands at the agent deadline. */
  const runTracked = <R>(key: string, work: { result: Promise<R>; expire(): R }, done: (r: R) => void, failed: (err: unknown) => void): Promise<void> => {
    running.set(key, () => done(work.expire()));
    return work.result.then(
      (r) => {
        running.delete(key);
        done(r);
      },
      (err: unknown) => {
        running.delete(key);
        failed(err);
      },
    );
  };

  const gates = new PathGates(() => queue.poke());
  /** A planned probe's result: reported, and its path's gate told how its first connect went. */
  const settleProbe = (probe: PlannedProbe, result: ProbeResult): void => {
    report(result);
    gates.settled(probe, result);
  };

  const runJob = (job: Job): Promise<void> => {
    const probe = job.probe;
    if (job.kind === 'mtu') {
      const route = routes.find((r) => r.to === probe.address);
      const mtuKey = `pathmtu ${probe.address}`;
      return runTracked(mtuKey, measureFromNode(probe.address, route === undefined ? undefined : route.iface), (line) => reportOnce(mtuKey, line), () => undefined);
    }
    const retryKey = `retry ${probe.id}`;
    // A path's first connect gates its other probes (agent/src/path-gate.ts); a retry is past the gate.
    const gated = job.kind === 'probe' ? gates.gatedResult(probe) : undefined;
    if (gated !== undefined) {
      report(gated);
      return Promise.resolve();
    }
    let probeRun;
    try {
      probeRun = job.kind === 'retry' ? startProbe(probe, plan, true) : startProbe(probe, plan, false, () => gates.connected(probe));
    } catch (err) {
      if (job.kind === 'retry') reportOnce(retryKey, retryLine(failedProbe(probe, err)));
      else settleProbe(probe, failedProbe(probe, err));
      return Promise.resolve();
    }
    if (job.kind === 'retry') {
      const afterRetry = (second: ProbeResult): void => {
        reportOnce(retryKey, retryLine(second));
        if (retries.bisectWanted(probe.address)) queue.add({ kind: 'mtu', probe });
      };
      return runTracked(retryKey, probeRun, afterRetry, (err) => afterRetry(failedProbe(probe, err)));
    }
    gates.started(probe);
    const afterProbe = (result: ProbeResult): void => {
      settleProbe(probe, result);
      // Behind the probes still waiting: the smaller sizes that follow run first.
      if (retries.retryWanted(probe, result)) queue.add({ kind: 'retry', probe });
    };
    return runTracked(probe.id, probeRun, afterProbe, (err) => afterProbe(failedProbe(probe, err)));
  };

  const queue = new Queue<Job>(
    plan.probes.map((probe): Job => ({ kind: 'probe', probe })),
    plan.concurrency,
    runJob,
    finish,
    (job) => job.kind !== 'probe' || gates.mayStart(job.probe),
  );

  /** Facts go out once, before any probe result: from the lookups, or as they stand at the deadline. */
  const sendFacts = (facts: AgentFacts): boolean => {
    if (factsSent) return false;
    factsSent = true;
    routes = facts.routes;
    emit(facts);
    return true;
  };
  const routesUnknown = (why: string): AgentFacts => ({ t: 'facts', ...hostFacts(), routes: unknownRoutes(plan.controllerAddresses, why) });

  function onAgentDeadline(): void {
    sendFacts(routesUnknown(AGENT_ERROR_CODES.agentDeadline));
    const unstarted = queue.stop();
    for (const expire of Array.from(running.values())) expire();
    // A retry or bisection that never started leaves no line: the first attempt's result stands.
    for (const job of unstarted) if (job.kind === 'probe') report(notStarted(job.probe));
    finish();
  }

  gatherFacts(plan.controllerAddresses).then(
    (facts) => {
      if (sendFacts(facts)) queue.start();
    },
    (err: unknown) => {
      // Facts are evidence, not a precondition: probe anyway.
      if (sendFacts(routesUnknown(clip(String(err), EVENT_LIMITS.routeError)))) queue.start();
    },
  );
}

function main(): void {
  const started = now();
  // A bug must still end in one parseable line and an exit, never a stack trace and a hang.
  process.on('uncaughtException', (err) => {
    closeAll();
    emitAndExit({ t: 'fatal', message: clip(`agent crashed: ${err.stack ?? err.message}`, EVENT_LIMITS.fatalMessage) }, 1);
  });
  // The controller went away: nobody is left to report to.
  process.stdout.on('error', () => process.exit(1));

  const reading = readPlan((globalThis as { TWOWAY_PLAN?: unknown }).TWOWAY_PLAN);
  if (!reading.ok) {
    emitAndExit({ t: 'fatal', message: clip(reading.problem, EVENT_LIMITS.fatalMessage) }, 1);
    return;
  }
  emit(hello());
  run(reading.plan, started);
}

main();
