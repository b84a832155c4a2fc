/**
 * The reference agent. The controller streams this bundle to `node -` over SSH, preceded by
 * `globalThis.TWOWAY_PLAN = {...};`. It reports on stdout, in order: who it is, what the node looks
 * like, one result per probe as each finishes, and done. It must run on Node >= 12: the bundle's
 * syntax is down-levelled by esbuild, but APIs are not, so only Node 12 APIs are used here.
 */
import { hostTcpDelta, readHostTcp } from './host-tcp.js';
import type { AgentFacts, AgentHello, Plan, PlannedProbe, ProbeResult } from '../../src/protocol.js';
import { AGENT_ERROR_CODES, EVENT_LIMITS } from '../../src/protocol.js';
import { now, since } from './clock.js';
import { gatherFacts, hostFacts, unknownRoutes } from './facts.js';
import { sampleHalfOpen } from './halfopen.js';
import { closeAll } from './open-handles.js';
import { clip, emit, emitAndExit } from './output.js';
import { readPlan } from './plan.js';
import { PathGates } from './path-gate.js';
import { notStarted, startProbe } from './probe.js';
import type { ProbeRun } from './probe.js';
import { Queue } from './queue.js';

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
  const running = new Map<string, ProbeRun>();
  const reported = new Set<string>();
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

  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(deadline);
    closeAll();
    emit(sampleHalfOpen());
    const hostTcp = hostTcpDelta(tcpAtStart, readHostTcp());
    emitAndExit(hostTcp === undefined ? { t: 'done', ms: since(started) } : { t: 'done', ms: since(started), hostTcp }, 0);
  };

  const gates = new PathGates(() => queue.poke());
  const queue = new Queue<PlannedProbe>(
    plan.probes,
    plan.concurrency,
    (probe) => {
      const gated = gates.gatedResult(probe);
      if (gated !== undefined) {
        report(gated);
        return Promise.resolve();
      }
      let probeRun: ProbeRun;
      try {
        probeRun = startProbe(probe, plan, () => gates.connected(probe));
      } catch (err) {
        report(failedProbe(probe, err));
        return Promise.resolve();
      }
      gates.started(probe);
      running.set(probe.id, probeRun);
      return probeRun.result.then(
        (result) => {
          running.delete(probe.id);
          report(result);
          gates.settled(probe, result);
        },
        (err: unknown) => {
          running.delete(probe.id);
          const result = failedProbe(probe, err);
          report(result);
          gates.settled(probe, result);
        },
      );
    },
    finish,
    (probe) => gates.mayStart(probe),
  );

  /** Facts go out once, before any probe result: from the lookups, or as they stand at the deadline. */
  const sendFacts = (facts: AgentFacts): boolean => {
    if (factsSent) return false;
    factsSent = true;
    emit(facts);
    return true;
  };
  const routesUnknown = (why: string): AgentFacts => ({ t: 'facts', ...hostFacts(), routes: unknownRoutes(plan.controllerAddresses, why) });

  function onAgentDeadline(): void {
    sendFacts(routesUnknown(AGENT_ERROR_CODES.agentDeadline));
    const unstarted = queue.stop();
    for (const probeRun of Array.from(running.values())) report(probeRun.expire());
    for (const probe of unstarted) report(notStarted(probe));
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
