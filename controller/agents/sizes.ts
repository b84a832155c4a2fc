/**
 * Each flavour's size as sent for a typical plan: what one node's SSH session carries on stdin.
 * The plan is what `twoway run` makes with its defaults for a node with one address.
 */
import { DEFAULT_DEADLINES, DEFAULT_SIZES, buildPlan } from '../plan.js';
import type { Plan } from '../../src/protocol.js';
import { flavourModule, registeredFlavours } from './index.js';
import { REQUIREMENTS } from './detect.js';
import { AGENT_FLAVOURS, type AgentFlavour } from './types.js';

export function typicalPlan(): Plan {
  // Stand-ins with the real lengths: a 64-hex-digit digest, a 43-character token, a SHA-256 fingerprint.
  const digest = 'a'.repeat(64);
  return buildPlan(
    { node: 'node-01.example.net', token: 'T'.repeat(43), callbackAddresses: ['192.0.2.10'], sources: [] },
    { download: () => digest, upload: () => digest },
    {
      runId: '20250101T000000-abcdef',
      sizes: DEFAULT_SIZES,
      httpPort: 63001,
      httpsPort: 63002,
      alternates: { http: 80, https: 443 },
      statusPosts: 3,
      statusIntervalMs: 300,
      holdMs: 0,
      deadlines: DEFAULT_DEADLINES,
      agentConcurrency: 4,
      fingerprint256: Array.from({ length: 32 }, () => 'AB').join(':'),
    },
  );
}

export interface FlavourInfo {
  flavour: AgentFlavour;
  /** Part of this build; the others are named so the list is complete. */
  available: boolean;
  needs: string;
  remoteCommand?: string;
  /** Script and embedded plan, in bytes, for typicalPlan(). */
  bytesAsSent?: number;
  cannotMeasure: readonly string[];
}

export function flavourTable(plan: Plan = typicalPlan()): FlavourInfo[] {
  const registered = registeredFlavours();
  const order = [...registered, ...AGENT_FLAVOURS.filter((f) => !registered.includes(f))];
  return order.map((flavour) => {
    const module = flavourModule(flavour);
    const needs = REQUIREMENTS[flavour].needs;
    if (module === undefined) return { flavour, available: false, needs, cannotMeasure: [] };
    return {
      flavour,
      available: true,
      needs,
      remoteCommand: module.remoteCommand,
      bytesAsSent: Buffer.byteLength(module.script(plan)),
      cannotMeasure: module.cannotMeasure ?? [],
    };
  });
}
