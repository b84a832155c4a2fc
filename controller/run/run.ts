/**
 * One run, step by step (ARCHITECTURE.md): resolve callback addresses, start the listener, then for
 * each node with bounded concurrency probe forward and stream the agent over SSH, and classify.
 * Every node gets a result, also when the run is interrupted; the listener lives only for the run.
 */
import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import type { NodeSpec } from '../../src/inventory/types.js';
import type { AgentEvent, AgentFacts, Deadlines, Plan, PortRange, ProbeResult } from '../../src/protocol.js';
import { isStuck } from '../../src/protocol.js';
import type { ProfileSet } from '../../src/profiles.js';
import type { CallbackChoice, UpdateManager } from '../../src/managers.js';
import { REPORT_VERSION, summarise, type NodeReport, type PathReport, type Report } from '../../src/report.js';
import type { Shard } from '../../src/shard.js';
import type { NodeKind } from '../../src/verdicts.js';
import { BlobStore } from '../wire/blobs.js';
import { createRunCertificate } from '../wire/cert.js';
import type { ForwardEvidence, JudgedSession, Thresholds } from '../diagnose/inputs.js';
import { diagnoseNode } from '../diagnose/node.js';
import { redfishPaths } from './redfish-node.js';
import { judgeSession } from '../diagnose/session.js';
import { flavourModule, registeredFlavours } from '../agents/index.js';
import { askedFlavour, chooseFlavour, detectionCommand, flavourWithoutDetection, parseRuntimesLine, type DetectedRuntimes } from '../agents/detect.js';
import type { AgentFlavour } from '../agents/types.js';
import { diagnoseFleet } from '../diagnose/fleet.js';
import { HalfOpenSampler } from '../host/halfopen-sampler.js';
import { fromNode, measurePathMtus } from '../host/path-mtu.js';
import { TcpInfoSampler } from '../host/tcp-info-sampler.js';
import { FtpListener } from '../wire/ftp-listener.js';
import { CallbackListener } from '../wire/listener.js';
import { ALTERNATE_PORTS, buildPlan } from './plan.js';
import { proberFor } from '../probers/index.js';
import { type AddressedNode, ftpPortsOf, managerFor, notTestedCallbacks, ownManager, prepareAddresses, unneededCallbacks, usesFtp, webCallbacks } from './node-setup.js';
import { runOverSsh, type SessionInput, type SshSession, type SshSettings } from '../ssh/session.js';
import { RunTokens } from '../wire/tokens.js';
import { factsAddresses, sourceBindingFor, withTokenStrays } from './sources.js';
import type { SourceBinding } from '../wire/source-binding.js';

export interface RunOptions {
  nodes: NodeSpec[];
  /** Built-in profiles plus any from a profile file; every node's profile is in it (checked by the CLI). */
  profiles: ProfileSet;
  /** The update manager's model: callbacks it does not need from a node are measured as information. Absent: the profiles' own callbacks (hpsum6). */
  manager?: UpdateManager;
  /** `off`: the callbacks the manager does not need are not tested at all; absent or `auto`: measured as information. */
  callbacks?: CallbackChoice;
  /** Controller addresses to call back to; empty: the route's source address per node. */
  callbackAddresses: string[];
  /** Addresses to listen on; empty: every callback address in use. */
  listen: string[];
  httpPort: number;
  httpsPort: number;
  sizes: number[];
  concurrency: number;
  statusPosts: number;
  statusIntervalMs: number;
  /** Quiet time of the idle-hold channel; 0: no hold. */
  idleHoldMs: number;
  /** Also listen on 80/443 where free, to tell whether moving the update manager there would help. */
  alternates: boolean;
  /** FTP callbacks: for every node (`all`, --ftp) or the nodes whose inventory says `ftp: true`. */
  ftp: { all: boolean; controlPort: number; dataPorts: PortRange };
  deadlines: Deadlines;
  forwardTimeoutMs: number;
  /** The agent flavour for nodes whose inventory entry names none; undefined: the best the node offers. */
  runtime?: AgentFlavour;
  ssh: SshSettings;
  thresholds: Thresholds;
  signal?: AbortSignal;
  /** The nodes' addresses as preflight already resolved them (so names resolve once per run); absent: resolved here. */
  addressed?: AddressedNode[];
  /** This controller's share of the inventory (--shard): `nodes` holds only it; recorded in the report. */
  shard?: Shard;
  /** Called once the listeners are bound, with their ports, before any node is tested (--open-firewall). */
  onListening?: (ports: number[]) => void;
}

export interface RunObserver {
  /** Set-up is done: listeners bound, plans made. */
  started?(info: { nodes: number; listeners: { address: string; port: number; proto: string }[] }): void;
  nodeStarted?(name: string): void;
  agentEvent?(name: string, event: AgentEvent): void;
  /** One SSH session to the node ended (a node with several addresses may have one per address): its stderr, as kept. */
  sessionEnded?(name: string, destination: string, stderr: string): void;
  nodeFinished?(node: NodeReport, done: number, total: number): void;
  /** The report is complete (also after an interrupt): fleet findings and fixes included. */
  finished?(report: Report): void;
}

interface PreparedNode {
  spec: NodeSpec;
  addresses: string[];
  callbackAddresses: string[];
  plan: Plan;
  /** The node's callback token (a BMC's media URLs carry it in the path). */
  token: string;
}

/** What every node's test shares: the listener and the controller's half-open sampler. */
interface RunContext {
  options: RunOptions;
  listener: CallbackListener;
  sampler: HalfOpenSampler;
  tcpInfo: TcpInfoSampler;
  observer: RunObserver;
  sources: SourceBinding;
}

/** SSH failures after which another address of the node may still answer. */
const TRY_NEXT_ADDRESS: ReadonlySet<string> = new Set<NodeKind>(['ssh-unreachable', 'ssh-refused']);

export async function runTwoway(options: RunOptions, observer: RunObserver = {}): Promise<Report> {
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const resolved = options.addressed ?? (await prepareAddresses(options));
  const listenAddresses = options.listen.length > 0 ? options.listen : [...new Set(resolved.flatMap((n) => n.callbackAddresses))];
  const cert = await createRunCertificate(listenAddresses);
  const tokens = new RunTokens();
  const blobs = new BlobStore();
  const plansByNode = new Map<string, Plan>();
  const alternatePorts = options.alternates && (options.httpPort !== ALTERNATE_PORTS.http || options.httpsPort !== ALTERNATE_PORTS.https) ? ALTERNATE_PORTS : undefined;
  const sources = sourceBindingFor(resolved);
  const listener = new CallbackListener({
    sources,
    addresses: listenAddresses,
    httpPort: options.httpPort,
    httpsPort: options.httpsPort,
    ...(alternatePorts === undefined ? {} : { alternatePorts }),
    cert,
    tokens,
    blobs,
    findProbe: (node, id) => plansByNode.get(node)?.probes.find((p) => p.id === id),
  });
  const ftpNodes = new Set(resolved.filter((n) => usesFtp(options, n.spec)).map((n) => n.spec.name));
  const ftpListener =
    ftpNodes.size === 0
      ? undefined
      : new FtpListener({
          addresses: listenAddresses,
          controlPort: options.ftp.controlPort,
          dataPorts: options.ftp.dataPorts,
          tokens,
          blobs,
          ledger: listener.ledger,
          sources,
          findProbe: (node, id) => plansByNode.get(node)?.probes.find((p) => p.id === id),
        });
  await listener.start();
  let ftp: { controlPort: number; dataPorts: PortRange } | undefined;
  let ftpPorts: number[] = [];
  try {
    await ftpListener?.start();
    ftp = ftpListener === undefined ? undefined : { controlPort: ftpListener.controlPort, dataPorts: ftpListener.dataPorts };
    ftpPorts = ftp === undefined ? [] : ftpPortsOf(ftp);
    options.onListening?.([...new Set([...listener.endpoints.map((e) => e.port), ...ftpPorts])]);
  } catch (err) {
    await ftpListener?.close();
    await listener.close();
    throw err;
  }
  const alternates = listener.alternates();
  const httpPort = listener.portFor('http');
  const httpsPort = listener.portFor('https');
  const sampler = new HalfOpenSampler(new Set([httpPort, httpsPort, alternates.http, alternates.https, ...ftpPorts].filter((p): p is number => p !== undefined)));
  sampler.start();
  // The HTTP and HTTPS listener ports carry the transfers and status posts whose quality is judged.
  const tcpInfo = new TcpInfoSampler([httpPort, httpsPort]);
  tcpInfo.start();
  try {
    const prepared: PreparedNode[] = resolved.map((n) => {
      const target = {
        node: n.spec.name,
        token: tokens.tokenFor(n.spec.name),
        callbackAddresses: n.callbackAddresses,
        // A dual-homed node calls back from each of its addresses, so each NIC's path is known.
        sources: n.addresses.length > 1 ? n.addresses : [],
        ftp: ftpNodes.has(n.spec.name),
        webProtos: webCallbacks(options, n.spec),
      };
      const plan = buildPlan(target, { download: (size) => blobs.get(size).sha256, upload: (size) => blobs.uploadSha256(size) }, {
        runId,
        sizes: options.sizes,
        httpPort,
        httpsPort,
        alternates: { ...(alternates.http === undefined ? {} : { http: alternates.http }), ...(alternates.https === undefined ? {} : { https: alternates.https }) },
        statusPosts: options.statusPosts,
        statusIntervalMs: options.statusIntervalMs,
        holdMs: options.idleHoldMs,
        deadlines: options.deadlines,
        agentConcurrency: 4,
        fingerprint256: cert.fingerprint256,
        ...(ftp === undefined ? {} : { ftp }),
        spkiSha256Base64: cert.spkiSha256Base64,
      });
      plansByNode.set(n.spec.name, plan);
      return { ...n, plan, token: target.token };
    });
    observer.started?.({ nodes: prepared.length, listeners: [...listener.endpoints] });

    const ctx: RunContext = { options, listener, sampler, tcpInfo, observer, sources };
    const limit = pLimit(options.concurrency);
    let done = 0;
    const diagnosed = await Promise.all(
      prepared.map((node) =>
        limit(async () => {
          const report = await testNode(node, ctx);
          done += 1;
          observer.nodeFinished?.(report, done, prepared.length);
          return report;
        }),
      ),
    );
    const halfOpen = await sampler.stop();
    await tcpInfo.stop();
    const { nodes: diagnosedNodes, findings } = diagnoseFleet(diagnosed, { httpPort, httpsPort, hintsOf: (node) => options.profiles[node.profile]!.hints });
    const finishedAt = new Date();
    const ledger = listener.ledger.snapshot();
    const reports = withTokenStrays(diagnosedNodes, ledger.straySummary);
    const report: Report = {
      version: REPORT_VERSION,
      run: {
        id: runId,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        ms: finishedAt.getTime() - startedAt.getTime(),
        interrupted: options.signal?.aborted ?? false,
        ...(options.shard === undefined ? {} : { shard: options.shard }),
        controller: { listeners: [...listener.endpoints], fingerprint256: cert.fingerprint256 },
        settings: {
          sizes: options.sizes,
          concurrency: options.concurrency,
          httpPort,
          httpsPort,
          idleHoldMs: options.idleHoldMs,
          firmwareBytes: options.thresholds.firmwareBytes,
          alternates,
          ...(ftp === undefined ? {} : { ftp }),
          minMbps: options.thresholds.minMbps,
          agentTimeoutMs: options.deadlines.totalMs,
          forwardTimeoutMs: options.forwardTimeoutMs,
          ...(options.manager === undefined ? {} : { manager: options.manager.name }),
          ...(options.callbacks === 'off' ? { callbacks: 'off' as const } : {}),
        },
        strayRequests: ledger.strayCount,
        ...(ledger.straySummary.length === 0 ? {} : { strays: ledger.straySummary }),
        ...(ledger.connectionsDropped === 0 ? {} : { connectionsNotRecorded: ledger.connectionsDropped }),
        listenerPeers: ledger.peers,
        halfOpenSampled: halfOpen.measured,
      },
      nodes: reports,
      findings,
      summary: summarise(reports),
    };
    observer.finished?.(report);
    return report;
  } finally {
    await sampler.stop();
    await tcpInfo.stop();
    await ftpListener?.close();
    await listener.close();
  }
}

async function testNode(node: PreparedNode, ctx: RunContext): Promise<NodeReport> {
  const { options, listener, sampler, tcpInfo, observer } = ctx;
  const { spec, plan } = node;
  const profile = options.profiles[spec.profile]!;
  const manager = managerFor(options, spec);
  const own = ownManager(options, spec);
  const evidence = {
    name: spec.name,
    addresses: node.addresses,
    profile: spec.profile,
    callbackAddresses: node.callbackAddresses,
    // Agentless devices run no agent: no planned callbacks (a BMC with Redfish settings gets its own paths below).
    probes: profile.agent ? plan.probes : [],
    ...(profile.agent ? {} : { agentless: true }),
    ...(manager === undefined ? {} : { unneededCallbacks: unneededCallbacks(manager, profile) }),
    ...(own === undefined ? {} : { manager: own }),
    notTested: notTestedCallbacks(options, spec, { http: listener.portFor('http'), https: listener.portFor('https'), ftp: options.ftp.controlPort }),
  };
  // A BMC with Redfish settings: its callbacks are tested by asking it to mount media from the listener.
  const bmcPaths = (): Promise<PathReport[]> =>
    profile.agent || spec.redfish === undefined
      ? Promise.resolve([])
      : redfishPaths({ ...spec, redfish: spec.redfish }, node.token, node.callbackAddresses, webCallbacks(options, spec), listener, options.signal);
  // A node whose turn comes after an interrupt still gets a result: not measured (a BMC's Redfish paths too).
  if (options.signal?.aborted) return diagnoseNode({ ...evidence, events: [], ledger: [], forward: [], redfishPaths: await bmcPaths() }, options.thresholds);
  observer.nodeStarted?.(spec.name);

  const started = performance.now();
  const forwardPromise = Promise.all(
    node.addresses.flatMap((address) =>
      profile.forward.map(async (fp): Promise<ForwardEvidence> => ({
        address,
        port: fp.port,
        probe: fp.probe,
        purpose: fp.purpose,
        needs: fp.needs,
        result: await proberFor(fp.probe)({ address, port: fp.port }, options.forwardTimeoutMs, options.signal),
      })),
    ),
  );
  // Agentless devices (iLO, OA, VC, switches) run nothing of ours: their result is the forward probes.
  if (!profile.agent) {
    const redfish = await bmcPaths();
    const forward = await forwardPromise;
    return diagnoseNode({ ...evidence, events: [], ledger: [], forward, redfishPaths: redfish, ms: Math.round(performance.now() - started) }, options.thresholds);
  }
  const { session, sshAddress } = await runAgentSession(node, ctx);
  // After the ladder, not at the stall: an outage still under way would make the echoes say nothing.
  const stalled = stalledEnds(plan, session.events, sshAddress ?? node.addresses[0]);
  const [forward, measured] = await Promise.all([forwardPromise, stalled.sources.length > 0 ? measurePathMtus(stalled.sources, options.signal) : undefined]);
  const pathMtu = measured === undefined ? undefined : [...measured, ...stalled.controllers.map((c) => fromNode(c, session.events))];
  const ledger = listener.ledger.forNode(spec.name);
  return diagnoseNode(
    {
      ...evidence,
      session,
      events: session.events,
      ledger,
      connections: listener.ledger.connectionsFor(session.events),
      forward,
      controllerHalfOpen: sampler.view(),
      controllerTcp: tcpInfo.view(),
      ...(sshAddress === undefined ? {} : { sshAddress }),
      ...(pathMtu === undefined ? {} : { pathMtu }),
    },
    options.thresholds,
  );
}

/**
 * Both ends of the transfers that got stuck: the node addresses to measure the path MTU toward (each
 * stuck probe's source, else the source of the node's route to that controller address, else
 * `fallback`) and the controller addresses they called.
 */
function stalledEnds(plan: Plan, events: readonly AgentEvent[], fallback: string | undefined): { sources: string[]; controllers: string[] } {
  const planned = new Map(plan.probes.map((p) => [p.id, p]));
  const facts = events.find((e): e is AgentFacts => e.t === 'facts');
  const stuck = events
    .filter((e): e is ProbeResult => e.t === 'probe' && isStuck(e) && ['download', 'upload'].includes(planned.get(e.id)?.kind ?? ''))
    .map((e) => planned.get(e.id)!);
  const sources = stuck.map((p) => p.source ?? facts?.routes.find((r) => r.to === p.address)?.source ?? fallback);
  return { sources: [...new Set(sources.filter((a): a is string => a !== undefined))], controllers: [...new Set(stuck.map((p) => p.address))] };
}

/** The session, and what was chosen in it: the flavour sent and its size, or why none was. */
export interface AgentSession extends SshSession {
  agent?: { flavour: AgentFlavour; scriptBytes: number };
  runtimes?: DetectedRuntimes;
  runtimeProblem?: string;
}

/**
 * What one session sends: the detection snippet, answered with the chosen flavour and its script
 * (or, for PowerShell, that flavour's own command and script straight away).
 */
function sessionPlan(plan: Plan, forced: AgentFlavour | undefined): { command: string; input: SessionInput; chosen: Pick<AgentSession, 'agent' | 'runtimes' | 'runtimeProblem'> } {
  const registered = registeredFlavours();
  const chosen: Pick<AgentSession, 'agent' | 'runtimes' | 'runtimeProblem'> = {};
  const direct = flavourWithoutDetection(forced);
  if (direct !== undefined) {
    const module = flavourModule(direct);
    const script = module.script(plan);
    chosen.agent = { flavour: direct, scriptBytes: Buffer.byteLength(script) };
    return { command: module.remoteCommand, input: script, chosen };
  }
  const modules = registered.map(flavourModule);
  const answer = (line: string): string | undefined => {
    const runtimes = parseRuntimesLine(line);
    if (runtimes === undefined) {
      chosen.runtimeProblem = `the runtime detection printed no runtime list but ${JSON.stringify(line.slice(0, 200))}`;
      return undefined;
    }
    chosen.runtimes = runtimes;
    const choice = chooseFlavour(runtimes, forced, registered);
    if (!choice.ok) {
      chosen.runtimeProblem = choice.problem;
      return undefined;
    }
    const script = flavourModule(choice.flavour).script(plan);
    chosen.agent = { flavour: choice.flavour, scriptBytes: Buffer.byteLength(script) };
    return `${choice.flavour}\n${script}`;
  };
  return { command: detectionCommand(modules, forced), input: answer, chosen };
}

/**
 * One SSH session that detects the node's runtimes and streams the agent. A node with several
 * addresses is tried at the next one when SSH cannot reach the first (a dual-homed server whose
 * management NIC is down still gets tested).
 */
async function runAgentSession(node: PreparedNode, ctx: RunContext): Promise<{ session: AgentSession & JudgedSession; sshAddress?: string }> {
  const { options, observer, sources } = ctx;
  const { spec, plan } = node;
  const destinations = spec.sshHost !== undefined ? [spec.sshHost] : node.addresses;
  const forced = askedFlavour(spec.runtime, options.runtime, options.profiles[spec.profile]!.hints.defaultRuntime, registeredFlavours());
  // The agent's own deadline plus time for SSH to connect and for the agent to start and report.
  const sessionDeadline = plan.deadlines.totalMs + options.ssh.connectTimeoutSec * 1000 + 10_000;
  for (let i = 0; ; i++) {
    const destination = destinations[i]!;
    const target = {
      destination,
      ...(spec.user === undefined ? {} : { user: spec.user }),
      ...(spec.port === undefined ? {} : { port: spec.port }),
      ...(spec.key === undefined ? {} : { key: spec.key }),
    };
    const { command, input, chosen } = sessionPlan(plan, forced);
    const ssh = await runOverSsh(target, options.ssh, command, input, sessionDeadline, options.signal, (event) => {
      // The node's own addresses: its callbacks from them are served even when the inventory names another.
      const own = factsAddresses(event);
      if (own !== undefined) sources.learn(spec.name, own);
      observer.agentEvent?.(spec.name, event);
    });
    observer.sessionEnded?.(spec.name, destination, ssh.stderr);
    // Judged once: the verdict decides whether to try the next address, and diagnosis takes it as it is.
    const session = judgeSession<AgentSession>({ ...ssh, ...chosen }, ssh.events);
    const last = i === destinations.length - 1 || options.signal?.aborted === true;
    if (last || session.verdict === undefined || !TRY_NEXT_ADDRESS.has(session.verdict)) return i === 0 ? { session } : { session, sshAddress: destination };
  }
}
