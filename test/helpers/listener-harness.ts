/** The real callback listener for loopback tests: one place that starts it the way a run does. */
import { BlobStore } from '../../controller/wire/blobs.js';
import { createRunCertificate, type RunCertificate } from '../../controller/wire/cert.js';
import { CallbackListener, type ListenerOptions } from '../../controller/wire/listener.js';
import { RunTokens } from '../../controller/wire/tokens.js';
import type { Plan } from '../../src/protocol.js';

export interface TestListener {
  listener: CallbackListener;
  tokens: RunTokens;
  blobs: BlobStore;
  cert: RunCertificate;
  /** The plan the listener checks a node's requests against (as a run registers each node's). */
  setPlan(plan: Plan): Plan;
}

/** Listens on `host` with ephemeral ports; closed when the test ends. */
export async function startTestListener(t: { after: (fn: () => Promise<void>) => void }, host: string, extra: Partial<ListenerOptions> = {}): Promise<TestListener> {
  const tokens = new RunTokens();
  const blobs = new BlobStore();
  const cert = await createRunCertificate([host]);
  const plans = new Map<string, Plan>();
  const listener = new CallbackListener({
    addresses: [host],
    httpPort: 0,
    httpsPort: 0,
    cert,
    tokens,
    blobs,
    findProbe: (node, id) => plans.get(node)?.probes.find((p) => p.id === id),
    ...extra,
  });
  await listener.start();
  t.after(() => listener.close());
  return {
    listener,
    tokens,
    blobs,
    cert,
    setPlan: (plan) => {
      plans.set(plan.node, plan);
      return plan;
    },
  };
}
