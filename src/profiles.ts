/**
 * Update-manager profiles: which ports the controller probes forward on a node, and whether an
 * agent runs there to call back. From the HP SUM port table (DESIGN.md section 1).
 */

export type ForwardProto = 'tcp';

export interface ForwardPort {
  port: number;
  proto: ForwardProto;
  purpose: string;
}

export interface Profile {
  name: string;
  description: string;
  forward: readonly ForwardPort[];
  /** An agent is deployed over SSH and calls back to the listener. */
  agent: boolean;
}

const SSH: ForwardPort = { port: 22, proto: 'tcp', purpose: 'SSH, node inventory' };
const HTTPS: ForwardPort = { port: 443, proto: 'tcp', purpose: 'secure data transfer' };

export const PROFILES: Readonly<Record<string, Profile>> = {
  linux: { name: 'linux', description: 'Linux server', forward: [SSH, HTTPS], agent: true },
  windows: {
    name: 'windows',
    description: 'Windows server (OpenSSH)',
    forward: [SSH, HTTPS, { port: 445, proto: 'tcp', purpose: 'ADMIN$ share (SMB)' }, { port: 139, proto: 'tcp', purpose: 'NetBIOS session (SMB)' }],
    agent: true,
  },
  vmware: {
    name: 'vmware',
    description: 'VMware ESXi / vSphere host',
    forward: [SSH, HTTPS, { port: 5989, proto: 'tcp', purpose: 'WBEM discovery' }],
    agent: true,
  },
};

export const DEFAULT_PROFILE = 'linux';
export const PROFILE_NAMES: readonly string[] = Object.keys(PROFILES);

export function profileNamed(name: string): Profile {
  const profile = PROFILES[name];
  if (profile === undefined) throw new Error(`unknown profile "${name}"`);
  return profile;
}
