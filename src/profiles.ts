/**
 * Update-manager profiles: per node type, which ports the controller probes forward (and how), which
 * callbacks an agent makes, and whether an agent can run there at all. From the HP SUM port table
 * (README.md, "Profiles: the update manager's port tables"). A custom profile file (src/profile-file.ts) extends or changes these.
 */
import type { AgentFlavour } from './agent-flavours.js';

/** How a forward port is probed: a TCP connect, an HTTP(S) request (TLS details), or a NetBIOS name query. */
export const FORWARD_PROBES = ['tcp', 'http', 'https', 'netbios-ns'] as const;
export type ForwardProbe = (typeof FORWARD_PROBES)[number];

/**
 * What the update manager needs on a forward port: a running service (a reset from the node, nothing
 * listening, is a fault: `service-down`), or only a path (a reset from the node proves the path works:
 * `closed`, information).
 */
export const FORWARD_NEEDS = ['service', 'path'] as const;
export type ForwardNeeds = (typeof FORWARD_NEEDS)[number];

export interface ForwardPort {
  port: number;
  probe: ForwardProbe;
  purpose: string;
  needs: ForwardNeeds;
}

/**
 * A profile file's port without `needs`: an HTTP(S) probe makes a request, so a server is expected
 * (service); a TCP connect or a NetBIOS query asks only for the path.
 */
export function defaultNeeds(probe: ForwardProbe): ForwardNeeds {
  return probe === 'http' || probe === 'https' ? 'service' : 'path';
}

/** Callbacks to the update manager's ports: its web server (http, https) and, for switches, FTP. */
export const CALLBACK_KINDS = ['http', 'https', 'ftp'] as const;
export type CallbackKind = (typeof CALLBACK_KINDS)[number];

/**
 * What a node type changes in twoway's behaviour, as data: read where each behaviour is decided (the
 * remedies, the agent choice), never by comparing a profile's name, so a profile that `extends` one
 * inherits it and a custom profile can set it.
 */
export interface ProfileHints {
  /**
   * The node's own outbound firewall is ESXi's (only 80/443 allowed by default): dropped callbacks are
   * fixed with an ESXi firewall rule file, and the Linux iptables/nft egress fix does not apply.
   */
  esxiFirewall: boolean;
  /** The agent flavour sent when neither the node (`runtime:`) nor the run (`--runtime`) names one. */
  defaultRuntime?: AgentFlavour;
}

export const NO_HINTS: ProfileHints = { esxiFirewall: false };

export interface Profile {
  name: string;
  description: string;
  forward: readonly ForwardPort[];
  /** An agent is deployed over SSH and makes these callbacks; agentless profiles are probed forward only. */
  agent: boolean;
  callbacks: readonly CallbackKind[];
  /** Addresses a node of this profile must have, all of them tested (Integrity: management and production). */
  minAddresses: number;
  hints: ProfileHints;
  /** Where it was defined: "built-in" or file:line. */
  origin: string;
  /**
   * The built-in profile it descends from (its own name for a built-in): the node type the update
   * manager models (src/managers.ts) know it by.
   */
  family: string;
}

export type ProfileSet = Readonly<Record<string, Profile>>;

// Why each port needs what it needs:
// - SSH 22: the update manager logs in over SSH for the node inventory (and twoway deploys its agent
//   that way): sshd must run. On agent nodes a refused 22 also ends the SSH session (ssh-refused).
// - HTTPS 443 on servers ("secure data transfer"): the update manager's remote agent opens it only while
//   an update runs; a plain server serves nothing there and that is healthy: the path only.
// - The web interface of iLO/OA/VC/switches (443, 80): the update manager talks to that web server:
//   a service.
// - SMB 445 on Windows: the update manager copies its agent to the ADMIN$ share: a service (LanmanServer).
// - NetBIOS session 139 and name service 137: SMB's legacy transport and naming, used only where 445 or
//   DNS names are not: the path only.
// - WBEM 5989 on ESXi: the update manager discovers the host through CIM (sfcbd): a service.
const SSH: ForwardPort = { port: 22, probe: 'tcp', purpose: 'SSH, node inventory', needs: 'service' };
const HTTPS: ForwardPort = { port: 443, probe: 'tcp', purpose: 'secure data transfer', needs: 'path' };
const WEB_UI_HTTPS: ForwardPort = { port: 443, probe: 'https', purpose: 'web interface (HTTPS)', needs: 'service' };
const WEB_UI_HTTP: ForwardPort = { port: 80, probe: 'http', purpose: 'web interface (HTTP, redirects to HTTPS)', needs: 'service' };
const SMB: ForwardPort = { port: 445, probe: 'tcp', purpose: 'ADMIN$ share (SMB)', needs: 'service' };
const NETBIOS_SESSION: ForwardPort = { port: 139, probe: 'tcp', purpose: 'NetBIOS session (SMB)', needs: 'path' };
const NETBIOS_NAME: ForwardPort = { port: 137, probe: 'netbios-ns', purpose: 'NetBIOS name service (only with NetBIOS naming)', needs: 'path' };
const WBEM: ForwardPort = { port: 5989, probe: 'tcp', purpose: 'WBEM discovery (ESXi / vSphere)', needs: 'service' };

const WEB: readonly CallbackKind[] = ['http', 'https'];
const builtIn = (p: Omit<Profile, 'origin' | 'family' | 'hints' | 'minAddresses'> & Partial<Pick<Profile, 'hints' | 'minAddresses'>>): Profile => ({
  hints: NO_HINTS,
  minAddresses: 1,
  ...p,
  origin: 'built-in',
  family: p.name,
});

export const BUILT_IN_PROFILES: ProfileSet = {
  linux: builtIn({ name: 'linux', description: 'Linux server', forward: [SSH, HTTPS], agent: true, callbacks: WEB }),
  windows: builtIn({
    name: 'windows',
    description: 'Windows server (OpenSSH)',
    forward: [SSH, HTTPS, SMB, NETBIOS_SESSION, NETBIOS_NAME],
    agent: true,
    callbacks: WEB,
    // Windows' OpenSSH starts cmd or PowerShell, not a POSIX sh: no detection, the PowerShell agent.
    hints: { ...NO_HINTS, defaultRuntime: 'powershell' },
  }),
  vmware: builtIn({
    name: 'vmware',
    description: 'VMware ESXi / vSphere host (outbound blocked but 80/443 by default)',
    forward: [SSH, HTTPS, WBEM],
    agent: true,
    callbacks: WEB,
    hints: { ...NO_HINTS, esxiFirewall: true },
  }),
  ilo: builtIn({ name: 'ilo', description: 'iLO management processor (agentless)', forward: [WEB_UI_HTTPS, WEB_UI_HTTP, SSH], agent: false, callbacks: [] }),
  oa: builtIn({ name: 'oa', description: 'BladeSystem Onboard Administrator (agentless)', forward: [WEB_UI_HTTPS, WEB_UI_HTTP, SSH], agent: false, callbacks: [] }),
  vc: builtIn({ name: 'vc', description: 'Virtual Connect module (agentless)', forward: [WEB_UI_HTTPS, SSH], agent: false, callbacks: [] }),
  switch: builtIn({
    name: 'switch',
    description: 'network switch (agentless; fetches firmware by FTP from the update manager)',
    forward: [SSH, WEB_UI_HTTPS],
    agent: false,
    callbacks: ['ftp'],
  }),
  integrity: builtIn({
    name: 'integrity',
    description: 'HP Integrity / Superdome: management and production interfaces, both required',
    forward: [SSH, HTTPS],
    agent: true,
    callbacks: WEB,
    minAddresses: 2,
  }),
  // Superdome Flex is updated through its Rack Management Controller (RMC), which runs no agent and
  // calls back on the https port only (HPE SUM 7.x release notes, src/managers.ts): tested through
  // Redfish when the inventory gives the RMC's settings, like a bmc node.
  'superdome-flex': builtIn({
    name: 'superdome-flex',
    description: 'HPE Superdome Flex, updated through its RMC (agentless; the RMC calls back on the https port, tested through Redfish)',
    forward: [WEB_UI_HTTPS, SSH],
    agent: false,
    callbacks: ['https'],
  }),
  // A BMC's update pulls (iDRAC, XCC, Supermicro, iLO 5+) come from the BMC itself: no agent runs
  // there; twoway tests them by asking the BMC to mount virtual media from the listener (Redfish).
  bmc: builtIn({
    name: 'bmc',
    description: 'Redfish management processor (iDRAC, XCC, iLO 5+; agentless: callbacks tested through Redfish virtual media)',
    forward: [{ port: 443, probe: 'https', purpose: 'Redfish service and web interface (HTTPS)', needs: 'service' }],
    agent: false,
    callbacks: WEB,
  }),
};

export const DEFAULT_PROFILE = 'linux';

/** The update manager's default ports (its /port, /ssl_port, /ftp_port and passive FTP range). */
export const UPDATE_MANAGER_PORTS = { port: 63001, ssl_port: 63002, ftp_port: 21, ftpData: { first: 63006, last: 63010 } } as const;

/** The callbacks a node of this profile actually makes in a run: none without an agent. */
export function callbacksMade(profile: Profile): readonly CallbackKind[] {
  return profile.agent ? profile.callbacks : [];
}
