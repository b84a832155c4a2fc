/** One prober per forward protocol; the profile's port table says which each port gets. */
import type { ForwardProbe } from '../../src/profiles.js';
import { httpProber } from './http.js';
import { probeNetbiosName } from './netbios.js';
import { probeTcp } from './tcp.js';
import type { Prober } from './types.js';

const PROBERS: Record<ForwardProbe, Prober> = {
  tcp: probeTcp,
  http: httpProber('http'),
  https: httpProber('https'),
  'netbios-ns': probeNetbiosName,
};

export function proberFor(probe: ForwardProbe): Prober {
  return PROBERS[probe];
}
