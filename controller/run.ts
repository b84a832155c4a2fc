/**
 * One run, step by step (DESIGN.md section 3): resolve callback addresses, start the listener, then for
 * each node with bounded concurrency probe forward and stream the agent over SSH, and classify.
 * Every node gets a result, also when the run is interrupted; the listener lives only for the run.
 */
import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import type { NodeSpec } from '../src/inventory/types.js';
import type { AgentEvent, Deadlines, Plan } from '../src/protocol.js';
import { profileNamed } from '../src/profiles.js';
import { REPORT_VERSION, type NodeReport, type Report } from '../src/report.js';
import { VERDICT_KINDS, isFailure, type VerdictKind } from '../src/verdicts.js';
import { SetupError } from '../src/errors.js';
import { BlobStore } from './blobs.js';
import { createRunCertificate } from './cert.js';
import { classifyNode, type ForwardEvidence, type Thresholds } from './classify.js';
import { agentScript } from './deploy.js';
import { CallbackListener } from './listener.js';
import { buildPlan } from './plan.js';
import { probeTcp } from './probers/tcp.js';
import { resolveAddress, sourceAddressFor } from './route.js';
import { NODE_REMOTE_COMMAND, runOverSsh, type SshSettings } from './ssh.js';
import { RunTokens } from './tokens.js';

export interface RunOptions {
  nodes: NodeSpec[];
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
  deadlines: Deadlines;
  forwardTimeoutMs: number;
  ssh: SshSettings;
  thresholds: Thresholds;
  signal?: AbortSignal;
}

export interface RunObserver {
  /** Set-up is done: listeners bound, plans made. */
  started?(info: { nodes: number; listeners: { address: string; port: number; proto: string }[] }): void;
  nodeStarted?(name: string): void;
  agentEvent?(name: string, event: AgentEvent): void;
  nodeFinished?(node: NodeReport, done: number, total: number): void;
}

interface PreparedNode {
  spec: NodeSpec;
  addresses: string[];
  callbackAddresses: string[];
  plan: Plan;
}

/** Resolves each node's addresses and picks its callback addresses; throws SetupError naming the node. */
async function prepareAddresses(options: RunOptions): Promise<{ spec: NodeSpec; addresses: string[]; callbackAddresses: string[] }[]> {
  return Promise.all(
    options.nodes.map(async (spec) => {
      const addresses = await Promise.all(spec.addresses.map(resolveAddress));
      if (options.callbackAddresses.length > 0) return { spec, addresses, callbackAddresses: options.callbackAddresses };
      try {
        return { spec, addresses, callbackAddresses: [await sourceAddressFor(addresses[0]!)] };
      } catch (err) {
        throw new SetupError(`node "${spec.name}" (${spec.from.file}:${spec.from.line}): ${(err as Error).message}; give --callback-address`, { cause: err });
      }
    }),
  );
}

export async function runTwoway(options: RunOptions, observer: RunObserver = {}): Promise<Report> {
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const resolved = await prepareAddresses(options);
  const listenAddresses = options.listen.length > 0 ? options.listen : [...new Set(resolved.flatMap((n) => n.callbackAddresses))];
  const cert = await createRunCertificate(listenAddresses);
  const tokens = new RunTokens();
  const blobs = new BlobStore();
  const plansByNode = new Map<string, Plan>();
  const listener = new CallbackListener({
    addresses: listenAddresses,
    httpPort: options.httpPort,
    httpsPort: options.httpsPort,
    cert,
    tokens,
    blobs,
    findProbe: (node, id) => plansByNode.get(node)?.probes.find((p) => p.id === id),
  });
  await listener.start();
  try {
    const prepared: PreparedNode[] = resolved.map((n) => {
      const plan = buildPlan(n.spec.name, tokens.tokenFor(n.spec.name), n.callbackAddresses, (size) => blobs.get(size).sha256, {
        runId,
        sizes: options.sizes,
        httpPort: listener.portFor('http'),
        httpsPort: listener.portFor('https'),
        statusPosts: options.statusPosts,
        statusIntervalMs: options.statusIntervalMs,
        deadlines: options.deadlines,
        agentConcurrency: 4,
        fingerprint256: cert.fingerprint256,
      });
      plansByNode.set(n.spec.name, plan);
      return { ...n, plan };
    });
    observer.started?.({ nodes: prepared.length, listeners: [...listener.endpoints] });

    const limit = pLimit(options.concurrency);
    let done = 0;
    const reports = await Promise.all(
      prepared.map((node) =>
        limit(async () => {
          const report = await testNode(node, options, listener, observer);
          done += 1;
          observer.nodeFinished?.(report, done, prepared.length);
          return report;
        }),
      ),
    );
    const finishedAt = new Date();
    const ledger = listener.ledger.snapshot();
    return {
      version: REPORT_VERSION,
      run: {
        id: runId,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        ms: finishedAt.getTime() - startedAt.getTime(),
        interrupted: options.signal?.aborted ?? false,
        controller: { listeners: [...listener.endpoints], fingerprint256: cert.fingerprint256 },
        settings: {
          sizes: options.sizes,
          concurrency: options.concurrency,
          httpPort: listener.portFor('http'),
          httpsPort: listener.portFor('https'),
        },
        strayRequests: ledger.strayCount,
        listenerPeers: ledger.peers,
      },
      nodes: reports,
      summary: summarise(reports),
    };
  } finally {
    await listener.close();
  }
}

async function testNode(node: PreparedNode, options: RunOptions, listener: CallbackListener, observer: RunObserver): Promise<NodeReport> {
  const { spec, plan } = node;
  const evidence = {
    name: spec.name,
    addresses: node.addresses,
    profile: spec.profile,
    callbackAddresses: node.callbackAddresses,
    probes: plan.probes,
  };
  // A node whose turn comes after an interrupt still gets a result: not measured.
  if (options.signal?.aborted) return classifyNode({ ...evidence, events: [], ledger: [], forward: [] }, options.thresholds);
  observer.nodeStarted?.(spec.name);

  const profile = profileNamed(spec.profile);
  const forwardPromise = Promise.all(
    node.addresses.flatMap((address) =>
      profile.forward.map(async (fp): Promise<ForwardEvidence> => ({
        address,
        port: fp.port,
        purpose: fp.purpose,
        result: await probeTcp({ address, port: fp.port }, options.forwardTimeoutMs, options.signal),
      })),
    ),
  );
  const sshTarget = {
    destination: spec.sshHost ?? node.addresses[0]!,
    ...(spec.user === undefined ? {} : { user: spec.user }),
    ...(spec.port === undefined ? {} : { port: spec.port }),
    ...(spec.key === undefined ? {} : { key: spec.key }),
  };
  // The agent's own deadline plus time for SSH to connect and for the agent to start and report.
  const sessionDeadline = plan.deadlines.totalMs + options.ssh.connectTimeoutSec * 1000 + 10_000;
  const session = await runOverSsh(sshTarget, options.ssh, NODE_REMOTE_COMMAND, agentScript(plan), sessionDeadline, options.signal, (event) =>
    observer.agentEvent?.(spec.name, event),
  );
  const forward = await forwardPromise;
  const ledger = listener.ledger.forNode(spec.name);
  return classifyNode({ ...evidence, session, events: session.events, ledger, forward }, options.thresholds);
}

function summarise(nodes: NodeReport[]): Report['summary'] {
  const counts = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as Record<VerdictKind, number>;
  for (const n of nodes) counts[n.verdict] += 1;
  return { ...counts, nodes: nodes.length, failedNodes: nodes.filter((n) => isFailure(n.verdict)).length };
}
