/**
 * Update-manager models, as data: which callbacks each manager needs from each node type (a built-in
 * profile's family), and on which ports its own server listens. `--manager NAME` picks one for a run;
 * a callback the manager does not need from a node is still measured, and a failure there is
 * information, not a fault (src/report.ts pathClass). `twoway profiles --manager NAME` prints the matrix.
 */
import { UPDATE_MANAGER_PORTS, type CallbackKind, type Profile } from './profiles.js';

/** What a manager needs of one node type: the callbacks it makes to the manager, or that the manager does not manage it. */
export type ManagerNeed = { manages: true; callbacks: readonly CallbackKind[] } | { manages: false };

export interface UpdateManager {
  name: string;
  /** Short product name, used in summaries ("HPE SUM 7.3+ needs no http callback ..."). */
  title: string;
  description: string;
  /** The manager's own server ports: what --port and --ssl-port default to under this model. */
  ports: { http: number; https: number };
  /** Per node type (a built-in profile's name); a type not listed: its profile's callbacks, each one needed. */
  needs: Readonly<Record<string, ManagerNeed>>;
  /** What the matrix cannot say in a cell (node types twoway has no profile for). */
  notes: readonly string[];
}

const needs = (...callbacks: CallbackKind[]): ManagerNeed => ({ manages: true, callbacks });
const NOT_MANAGED: ManagerNeed = { manages: false };
const SUM_PORTS = { http: UPDATE_MANAGER_PORTS.port, https: UPDATE_MANAGER_PORTS.ssl_port };

// Vendor documentation: HPE Smart Update Manager User Guide, "Making HP SUM network ports available".
// Its table gives, per target type, the ports from the target to the system running SUM, for
// "HP SUM 7.2.1 and earlier" and "HP SUM 7.3.0 and later":
//   Windows, Linux: 63001, 63002 | None.   HP-UX: 63001, 63002 | 63001, 63002.
//   VMware: 63001 | 63001.   OA: None | None.
//   iLO, VC, FC switch, SAS switch, Moonshot, Superdome 2/X: 63001 | 63001 (deployment phase).
// HPE SUM 7.x release notes: Superdome Flex calls back on 63002 only (node type superdome-flex).
// The seed (HP SUM 6.x) gives 63001/63002 both ways for Windows and Linux and FTP for switches: the
// built-in profiles' own callbacks, so hpsum6 names only the management processors the table adds.
// Superdome Flex is in neither the seed's tables nor the 7.2.1-and-earlier column (it shipped after
// them): hpsum6 does not update it.
const HPSUM6: UpdateManager = {
  name: 'hpsum6',
  title: 'HP SUM 6.x',
  description: "HP SUM 6.x and SUM up to 7.2.1 (the seed's tables): every agent node calls back on both web ports, iLO and VC on the http port, switches over FTP",
  ports: SUM_PORTS,
  needs: { ilo: needs('http'), vc: needs('http'), 'superdome-flex': NOT_MANAGED },
  notes: ['iLO and VC callbacks are tested only through Redfish (profile bmc) or an agent on a stand-in host'],
};

const SUM7: UpdateManager = {
  name: 'sum7',
  title: 'HPE SUM 7.3+',
  description: 'HPE SUM 7.3.0 and later: Windows and Linux targets no longer call back; VMware, iLO, VC and FC/SAS switches call back on the http port',
  ports: SUM_PORTS,
  needs: {
    linux: needs(),
    windows: needs(),
    vmware: needs('http'),
    ilo: needs('http'),
    oa: needs(),
    vc: needs('http'),
    // FC and SAS switches: the http port during deployment (the FTP server of 6.x is not in the table).
    switch: needs('http'),
    // HP-UX and Superdome X: both ports.
    integrity: needs('http', 'https'),
    'superdome-flex': needs('https'),
    bmc: needs('http'),
  },
  notes: [],
};

// Vendor documentation: VMware vSphere Update Manager, "Update Manager Default Network Ports":
// "9084: the port used by ESXi hosts to access host patch downloads over HTTP". Update Manager
// updates ESXi hosts only.
const VUM: UpdateManager = {
  name: 'vum',
  title: 'VMware Update Manager',
  description: 'VMware vSphere Update Manager: ESXi hosts fetch patches from the manager over HTTP on 9084',
  ports: { http: 9084, https: UPDATE_MANAGER_PORTS.ssl_port },
  needs: {
    linux: NOT_MANAGED,
    windows: NOT_MANAGED,
    vmware: needs('http'),
    ilo: NOT_MANAGED,
    oa: NOT_MANAGED,
    vc: NOT_MANAGED,
    switch: NOT_MANAGED,
    integrity: NOT_MANAGED,
    'superdome-flex': NOT_MANAGED,
    bmc: NOT_MANAGED,
  },
  notes: [],
};

// Vendor documentation: Dell Lifecycle Controller User's Guide, "Remote Update" (InstallFromURI): the
// iDRAC downloads the update package from a network share (CIFS, NFS, FTP, TFTP, HTTP, HTTPS); Redfish
// SimpleUpdate with an ImageURI is the same pull. twoway tests the HTTP and HTTPS pulls, on the ports
// a web share listens on.
const OPENMANAGE: UpdateManager = {
  name: 'openmanage',
  title: 'Dell OpenManage / iDRAC',
  description: 'Dell OpenManage and iDRAC: the BMC pulls packages from an HTTP/HTTPS (or CIFS/NFS) share it must reach',
  ports: { http: 80, https: 443 },
  needs: {
    linux: NOT_MANAGED,
    windows: NOT_MANAGED,
    vmware: NOT_MANAGED,
    ilo: NOT_MANAGED,
    oa: NOT_MANAGED,
    vc: NOT_MANAGED,
    switch: NOT_MANAGED,
    integrity: NOT_MANAGED,
    'superdome-flex': NOT_MANAGED,
    bmc: needs('http', 'https'),
  },
  notes: ['CIFS and NFS shares are not tested (445, 2049)'],
};

// Vendor documentation: HP OneView User Guide, "Ports required for HP OneView": inbound TCP 80, "this
// port provides the access required by the iLO" (and 443 for its UI and API).
const ONEVIEW: UpdateManager = {
  name: 'oneview',
  title: 'HPE OneView',
  description: 'HPE OneView: the iLO needs inbound 80 to the OneView appliance',
  ports: { http: 80, https: 443 },
  needs: {
    linux: NOT_MANAGED,
    windows: NOT_MANAGED,
    vmware: NOT_MANAGED,
    ilo: needs('http'),
    oa: NOT_MANAGED,
    vc: NOT_MANAGED,
    switch: NOT_MANAGED,
    integrity: NOT_MANAGED,
    'superdome-flex': NOT_MANAGED,
    bmc: needs('http'),
  },
  notes: [],
};

export const UPDATE_MANAGERS: Readonly<Record<string, UpdateManager>> = { hpsum6: HPSUM6, sum7: SUM7, vum: VUM, openmanage: OPENMANAGE, oneview: ONEVIEW };
export const MANAGER_NAMES = Object.keys(UPDATE_MANAGERS);
export const DEFAULT_MANAGER = 'hpsum6';

/**
 * `--callbacks`: `auto` measures every callback a node makes and lets the manager decide which count;
 * `off` does not test the callbacks the manager does not need at all (reported as not tested by
 * choice). There is no `on`: a run that must count every callback of the agent node types picks
 * `--manager hpsum6`, whose model for them is the profiles' own callbacks.
 */
export const CALLBACK_CHOICES = ['auto', 'off'] as const;
export type CallbackChoice = (typeof CALLBACK_CHOICES)[number];

/** What the manager says of a node of this profile (by its built-in family); undefined: the profile's own callbacks decide. */
export function managerNeed(manager: UpdateManager, profile: Profile): ManagerNeed | undefined {
  return Object.hasOwn(manager.needs, profile.family) ? manager.needs[profile.family] : undefined;
}

/** The callbacks the manager needs from a node of this profile (none when it does not manage the type). */
export function callbacksNeeded(manager: UpdateManager, profile: Profile): readonly CallbackKind[] {
  const need = managerNeed(manager, profile);
  return need === undefined ? profile.callbacks : need.manages ? need.callbacks : [];
}

/**
 * Why a callback of this kind from a node of this profile is information only under the manager;
 * undefined when the manager needs it or says nothing of the node type (then every callback counts).
 */
export function unneededReason(manager: UpdateManager, profile: Profile, kind: CallbackKind): string | undefined {
  const need = managerNeed(manager, profile);
  if (need === undefined) return undefined;
  if (!need.manages) return `${manager.title} does not update ${profile.family} nodes`;
  return need.callbacks.includes(kind) ? undefined : `${manager.title} needs no ${kind} callback from ${profile.family} nodes`;
}
