/**
 * Each flavour's size as sent for a typical plan: what one node's SSH session carries on stdin.
 * The plan is what `twoway run` makes with its defaults for a node with one address.
 */
import { ALTERNATE_PORTS, DEFAULT_DEADLINES, DEFAULT_SIZES, buildPlan } from './plan.js';
import { UPDATE_MANAGER_PORTS } from '../../src/profiles.js';
import type { Plan } from '../../src/protocol.js';
import { flavourModule, registeredFlavours } from '../agents/index.js';
import { REQUIREMENTS } from '../agents/detect.js';
import type { AgentFlavour } from '../agents/types.js';

export function typicalPlan(): Plan {
  // Stand-ins with the real lengths: a 64-hex-digit digest, a 43-character token, a SHA-256
  // fingerprint and public-key pin; ports and pacing as a default run has them.
  const digest = 'a'.repeat(64);
  return buildPlan(
    { node: 'node-01.example.net', token: 'T'.repeat(43), callbackAddresses: ['192.0.2.10'], sources: [] },
    { download: () => digest, upload: () => digest },
    {
      runId: '20250101T000000-abcdef',
      sizes: DEFAULT_SIZES,
      httpPort: UPDATE_MANAGER_PORTS.port,
      httpsPort: UPDATE_MANAGER_PORTS.ssl_port,
      alternates: { ...ALTERNATE_PORTS },
      statusPosts: 3,
      statusIntervalMs: 300,
      holdMs: 0,
      deadlines: DEFAULT_DEADLINES,
      agentConcurrency: 4,
      fingerprint256: Array.from({ length: 32 }, () => 'AB').join(':'),
      spkiSha256Base64: `${'A'.repeat(43)}=`,
    },
  );
}

export interface FlavourInfo {
  flavour: AgentFlavour;
  needs: string;
  remoteCommand: string;
  /** Script and embedded plan, in bytes, for typicalPlan(). */
  bytesAsSent: number;
  cannotMeasure: readonly string[];
}

export function flavourTable(plan: Plan = typicalPlan()): FlavourInfo[] {
  return registeredFlavours().map((flavour) => {
    const module = flavourModule(flavour);
    return {
      flavour,
      needs: REQUIREMENTS[flavour].needs,
      remoteCommand: module.remoteCommand,
      bytesAsSent: Buffer.byteLength(module.script(plan)),
      cannotMeasure: module.cannotMeasure ?? [],
    };
  });
}
