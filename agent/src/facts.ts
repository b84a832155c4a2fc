/**
 * What the node says about itself: its name, its addresses, and which source address (and so which
 * interface) its kernel would use towards each controller address. The controller compares that
 * source with the one the listener saw, to tell NAT or a wrong egress interface from a clean path.
 */
import * as dgram from 'dgram';
import * as net from 'net';
import * as os from 'os';
import { EVENT_LIMITS } from '../../src/protocol.js';
import type { AgentFacts, NodeAddress, RouteFact } from '../../src/protocol.js';
import { clip } from './output.js';
import { track } from './open-handles.js';

/** Limits of parseAgentEvent: more addresses or routes than this would reject the whole line. */
const { addresses: MAX_ADDRESSES, routes: MAX_ROUTES, field: MAX_FIELD } = EVENT_LIMITS;

/** Route lookups are local (no packet is sent), so anything slower than this is a stuck resolver. */
export const ROUTE_LOOKUP_MS = 1000;

interface InterfaceAddress extends NodeAddress {
  internal: boolean;
}

/** Node 18.0-18.3 report family as the number 4 or 6; every other version as 'IPv4'/'IPv6'. */
function normaliseFamily(family: unknown): 'IPv4' | 'IPv6' | undefined {
  if (family === 'IPv4' || family === 4) return 'IPv4';
  if (family === 'IPv6' || family === 6) return 'IPv6';
  return undefined;
}

function interfaceAddresses(): InterfaceAddress[] {
  const found: InterfaceAddress[] = [];
  const interfaces = os.networkInterfaces();
  for (const iface of Object.keys(interfaces)) {
    for (const info of interfaces[iface] ?? []) {
      const family = normaliseFamily(info.family as unknown);
      if (family === undefined) continue;
      found.push({ iface: clip(iface, MAX_FIELD), address: info.address, family, internal: info.internal });
    }
  }
  return found;
}

/** Drops an IPv6 zone ("fe80::1%eth0") and letter case, so addresses from different APIs compare. */
function comparable(address: string): string {
  const zone = address.indexOf('%');
  return (zone === -1 ? address : address.slice(0, zone)).toLowerCase();
}

/**
 * The source address the kernel picks for `to`. Connecting a UDP socket only runs the route
 * lookup and binds the socket: unlike TCP or a UDP send, no packet leaves the node. Port 9 is
 * "discard", an arbitrary valid port that nothing is ever sent to.
 */
function routeSource(to: string): Promise<{ source: string } | { error: string }> {
  return new Promise((resolve) => {
    let socket: dgram.Socket;
    try {
      socket = dgram.createSocket(net.isIP(to) === 6 ? 'udp6' : 'udp4');
    } catch (err) {
      resolve({ error: errorCode(err) });
      return;
    }
    const untrack = track(() => socket.close());
    const settle = (answer: { source: string } | { error: string }): void => {
      clearTimeout(timer);
      untrack();
      try {
        socket.close();
      } catch {
        // An implicit bind that failed leaves the socket closed already.
      }
      resolve(answer);
    };
    const timer = setTimeout(() => settle({ error: 'TIMEOUT' }), ROUTE_LOOKUP_MS);
    // A failed implicit bind is reported as an 'error' event, not through the connect callback.
    socket.on('error', (err) => settle({ error: errorCode(err) }));
    try {
      socket.connect(9, to, (err?: Error) => {
        if (err) settle({ error: errorCode(err) });
        else settle({ source: socket.address().address });
      });
    } catch (err) {
      settle({ error: errorCode(err) });
    }
  });
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return clip(code, EVENT_LIMITS.routeError);
  return clip(err instanceof Error ? err.message : String(err), EVENT_LIMITS.routeError);
}

export function hostFacts(): Pick<AgentFacts, 'hostname' | 'addresses'> {
  const addresses = interfaceAddresses()
    .filter((a) => !a.internal)
    .slice(0, MAX_ADDRESSES)
    .map(({ iface, address, family }) => ({ iface, address, family }));
  return { hostname: clip(os.hostname(), EVENT_LIMITS.hostname), addresses };
}

/** Routes for when the lookups cannot be waited for (the agent deadline came first). */
export function unknownRoutes(controllerAddresses: readonly string[], error: string): RouteFact[] {
  return controllerAddresses.slice(0, MAX_ROUTES).map((to) => ({ to: clip(to, MAX_FIELD), error }));
}

export async function gatherFacts(controllerAddresses: readonly string[]): Promise<AgentFacts> {
  // Loopback and other internal addresses count for the interface lookup: a controller on the
  // same host is reached over 'lo', and saying so beats saying nothing.
  const all = interfaceAddresses();
  const routes = await Promise.all(
    controllerAddresses.slice(0, MAX_ROUTES).map(async (to): Promise<RouteFact> => {
      const found = await routeSource(to);
      const route: RouteFact = { to: clip(to, MAX_FIELD) };
      if ('error' in found) {
        route.error = found.error;
        return route;
      }
      route.source = clip(found.source, MAX_FIELD);
      const owner = all.find((a) => comparable(a.address) === comparable(found.source));
      if (owner !== undefined) route.iface = owner.iface;
      return route;
    }),
  );
  return { t: 'facts', ...hostFacts(), routes };
}
