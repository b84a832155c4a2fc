/**
 * The BMC callback test (issue 15): log in to the node's Redfish service, find a free virtual-media
 * slot, ask the BMC to insert an image whose URL points at the run's listener (one per callback port
 * and controller address, naming the probe), wait until the ledger records the BMC's request (or a
 * deadline), read what the BMC says, then eject. Eject always follows an insert, also on error and on
 * the run's stop signal; a slot with media in it is never touched; no firmware action is ever called;
 * the session is logged out at the end. What it saw is judged in controller/diagnose/redfish.ts.
 */
import type { Endpoint, WebProto } from '../../src/protocol.js';
import { RedfishClient, RedfishError, extendedInfo, type BmcTrust } from './redfish-client.js';

/** A request the listener recorded, as far as the BMC test reads it (controller/wire/ledger.ts LedgerRequest). */
export interface SeenRequest {
  node: string;
  probe: string;
  method: string;
  peer: Endpoint;
}

/** A connection the listener accepted (controller/wire/ledger.ts LedgerConnection). */
export interface SeenConnection {
  peer: Endpoint;
  listener: Endpoint;
  tls?: 'pending' | 'completed' | 'failed';
  tlsError?: string;
}

/** What the BMC test needs of the listener's ledger (controller/wire/ledger.ts Ledger has it all). */
export interface ListenerRecords {
  now(): number;
  onRequest(watcher: (entry: SeenRequest) => void): () => void;
  forNode(node: string): SeenRequest[];
  connectionsFrom(address: string, since: number): SeenConnection[];
}

export interface RedfishTarget {
  /** The BMC's address (and port, 443 by default). */
  address: string;
  port?: number;
  user: string;
  /** Read from an environment variable or a file by the caller; never from the command line. */
  password: string;
  trust: BmcTrust;
}

/** One URL the BMC is asked to mount. */
export interface MediaProbe {
  id: string;
  node: string;
  proto: WebProto;
  /** The controller address and port in the URL. */
  address: string;
  port: number;
  url: string;
}

export interface RedfishTimings {
  /** Each Redfish call. */
  callMs: number;
  /** How long to wait for the BMC's request after the insert was accepted. */
  waitMs: number;
}

export const DEFAULT_REDFISH_TIMINGS: RedfishTimings = { callMs: 20_000, waitMs: 15_000 };

/** What one insert showed. */
export interface MediaAttempt {
  probe: MediaProbe;
  slot: string;
  /** The insert action's HTTP status, or the error that kept it from an answer. */
  insertStatus?: number;
  insertError?: string;
  /** The BMC's messages: the insert's error body and the slot's `@Message.ExtendedInfo` afterwards. */
  bmcMessages: string[];
  /** The slot after the wait: what the BMC says it mounted. */
  inserted?: boolean;
  connectedVia?: string;
  /** The listener's records of this probe's requests, and connections from the BMC to the port meanwhile. */
  requests: SeenRequest[];
  connections: SeenConnection[];
  ejected: boolean;
  ejectError?: string;
  /** The run stopped while the insert or the wait for the BMC's request was under way: nothing was seen in time. */
  interrupted?: boolean;
}

/** The whole test on one BMC: the attempts, or why none could be made. */
export interface RedfishOutcome {
  bmc: Endpoint;
  trust: string;
  attempts: MediaAttempt[];
  /** Set when no insert was made: login failed, no manager with virtual media, every slot in use ... */
  skipped?: { reason: 'unreachable' | 'tls' | 'auth' | 'no-virtual-media' | 'slots-busy' | 'interrupted' | 'error'; message: string };
  loggedOut: boolean;
}

interface Slot {
  uri: string;
  id: string;
  insertTarget: string;
  ejectTarget: string;
}

export async function testRedfishCallbacks(target: RedfishTarget, probes: readonly MediaProbe[], ledger: ListenerRecords, timings: RedfishTimings, signal?: AbortSignal): Promise<RedfishOutcome> {
  const bmc = { address: target.address, port: target.port ?? 443 };
  const host = bmc.address.includes(':') ? `[${bmc.address}]` : bmc.address;
  const client = new RedfishClient(`https://${host}:${bmc.port}`, bmc.address, target.trust, timings.callMs);
  const outcome: RedfishOutcome = { bmc, trust: '', attempts: [], loggedOut: true };
  try {
    await client.login(target.user, target.password);
    outcome.loggedOut = false;
    outcome.trust = client.trustNote;
    const slot = await findFreeSlot(client);
    if (typeof slot === 'string') outcome.skipped = { reason: slot === 'none' ? 'no-virtual-media' : 'slots-busy', message: slot === 'none' ? 'the BMC lists no virtual-media slot that takes a CD/DVD image' : `every virtual-media slot is in use (${slot}): left untouched` };
    else {
      for (const probe of probes) {
        if (signal?.aborted === true) {
          outcome.skipped = { reason: 'interrupted', message: 'run interrupted' };
          break;
        }
        outcome.attempts.push(await attempt(client, slot, probe, ledger, timings, bmc.address, signal));
      }
    }
  } catch (err) {
    const e = err as RedfishError;
    const reason = e.code === 'REDFISH_TLS' ? 'tls' : e.code === 'REDFISH_AUTH' ? 'auth' : e.code === 'REDFISH_CONNECT' || e.code === 'REDFISH_TIMEOUT' ? 'unreachable' : 'error';
    outcome.skipped = { reason, message: e.message };
    outcome.trust = client.trustNote;
  } finally {
    if (!outcome.loggedOut) outcome.loggedOut = await client.logout();
    await client.close();
  }
  return outcome;
}

/** The first slot that is empty and takes a CD/DVD image; "none" when there is no such slot, else the busy slots' ids. */
async function findFreeSlot(client: RedfishClient): Promise<Slot | string> {
  const managers = await client.call('GET', '/redfish/v1/Managers');
  const busy: string[] = [];
  for (const member of members(managers.body)) {
    const manager = await client.call('GET', member);
    const collection = manager.body?.VirtualMedia?.['@odata.id'];
    if (typeof collection !== 'string') continue;
    for (const uri of members((await client.call('GET', collection)).body)) {
      const media = (await client.call('GET', uri)).body;
      const types: unknown = media?.MediaTypes;
      if (Array.isArray(types) && !types.some((t) => t === 'CD' || t === 'DVD')) continue;
      const insertTarget = media?.Actions?.['#VirtualMedia.InsertMedia']?.target;
      const ejectTarget = media?.Actions?.['#VirtualMedia.EjectMedia']?.target;
      if (typeof insertTarget !== 'string' || typeof ejectTarget !== 'string') continue;
      // In use: something is inserted, or an image is set (some BMCs keep Inserted false while connecting).
      if (media?.Inserted === true || (typeof media?.Image === 'string' && media.Image !== '')) {
        busy.push(String(media?.Id ?? uri));
        continue;
      }
      return { uri, id: String(media?.Id ?? uri), insertTarget, ejectTarget };
    }
  }
  return busy.length === 0 ? 'none' : busy.join(', ');
}

const members = (body: any): string[] => (Array.isArray(body?.Members) ? body.Members.map((m: any) => m?.['@odata.id']).filter((u: unknown): u is string => typeof u === 'string') : []);

async function attempt(client: RedfishClient, slot: Slot, probe: MediaProbe, ledger: ListenerRecords, timings: RedfishTimings, bmcAddress: string, signal: AbortSignal | undefined): Promise<MediaAttempt> {
  const result: MediaAttempt = { probe, slot: slot.id, bmcMessages: [], requests: [], connections: [], ejected: false };
  const since = ledger.now();
  const arrived = waitForRequest(ledger, probe, timings.waitMs, signal);
  try {
    const insert = await client.call('POST', slot.insertTarget, { Image: probe.url, Inserted: true, WriteProtected: true, TransferProtocolType: probe.proto.toUpperCase() });
    result.insertStatus = insert.status;
    result.bmcMessages.push(...extendedInfo(insert.body));
    // An insert the BMC refused at once will not be followed by a request: no need to wait the whole deadline.
    if (insert.status >= 200 && insert.status < 300 && (await arrived.promise) === 'aborted') result.interrupted = true;
    const after = await client.call('GET', slot.uri);
    result.inserted = after.body?.Inserted === true;
    if (typeof after.body?.ConnectedVia === 'string') result.connectedVia = after.body.ConnectedVia;
    for (const m of extendedInfo(after.body)) if (!result.bmcMessages.includes(m)) result.bmcMessages.push(m);
  } catch (err) {
    result.insertError = (err as Error).message;
  } finally {
    arrived.stop();
    // Eject whatever happened above: the slot was free before this insert, so whatever is in it now is ours.
    try {
      const eject = await client.call('POST', slot.ejectTarget, {});
      result.ejected = eject.status >= 200 && eject.status < 300;
      if (!result.ejected) result.ejectError = `HTTP ${eject.status}: ${extendedInfo(eject.body).join('; ')}`;
    } catch (err) {
      result.ejectError = (err as Error).message;
    }
  }
  result.requests = ledger.forNode(probe.node).filter((r) => r.probe === probe.id);
  result.connections = ledger.connectionsFrom(bmcAddress, since).filter((c) => c.listener.port === probe.port && c.listener.address === probe.address);
  return result;
}

/** How the wait for the BMC's request ended. */
type WaitEnd = 'arrived' | 'deadline' | 'aborted' | 'stopped';

/** Resolves when the ledger records a request for the probe, at the deadline, or when the run stops (also when it stopped before). */
function waitForRequest(ledger: ListenerRecords, probe: MediaProbe, ms: number, signal: AbortSignal | undefined): { promise: Promise<WaitEnd>; stop: () => void } {
  let stop = (): void => undefined;
  const promise = new Promise<WaitEnd>((resolve) => {
    const timer = setTimeout(() => finish('deadline'), ms);
    const unwatch = ledger.onRequest((entry) => {
      if (entry.node === probe.node && entry.probe === probe.id) finish('arrived');
    });
    const onAbort = (): void => finish('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    function finish(end: WaitEnd): void {
      clearTimeout(timer);
      unwatch();
      signal?.removeEventListener('abort', onAbort);
      resolve(end);
    }
    stop = () => finish('stopped');
    if (signal?.aborted === true) finish('aborted');
  });
  return { promise, stop };
}
