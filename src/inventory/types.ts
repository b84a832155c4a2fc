/** What twoway understood from an inventory: plain data, validated. */
import type { AgentFlavour } from '../agent-flavours.js';
import type { RedfishSpec } from './redfish.js';

export interface SourceRef {
  file: string;
  /** 1-based; 0 when the node came from the command line. */
  line: number;
}

export interface NodeSpec {
  name: string;
  /** One or more addresses; the first is where SSH goes unless `sshHost` says otherwise. */
  addresses: string[];
  user?: string;
  /** SSH port. */
  port?: number;
  /** SSH private key file. */
  key?: string;
  profile: string;
  /** An ssh_config Host alias to connect to instead of the first address. */
  sshHost?: string;
  /** What `ssh -G` said for `sshHost` when the address came from the operator's ssh_config. */
  sshResolved?: SshResolved;
  /** The groups the node is in (Ansible groups with their parents, or twoway's `groups`), for --limit; absent when none. */
  groups?: string[];
  /** Also test FTP callbacks (control and passive data), as a switch fetching firmware does. */
  ftp?: boolean;
  /** The agent flavour to send (`runtime:`); absent: the best the node offers, or --runtime. */
  runtime?: AgentFlavour;
  /** The update manager that judges the node (`manager:`, `twoway_manager`), a name in src/managers.ts; absent: --manager. */
  manager?: string;
  /** The node's BMC over Redfish: its callbacks are tested by mounting virtual media (src/inventory/redfish.ts). */
  redfish?: RedfishSpec;
  from: SourceRef;
}

/** ssh's own view of a Host alias (`ssh -G`): where it goes and as whom. */
export interface SshResolved {
  hostname: string;
  user?: string;
  port?: number;
  identityFiles: string[];
}

export interface ControllerSpec {
  /** Run the controller inside this network namespace (the lab's controller side). */
  netns?: string;
  /** Addresses the nodes should call back to (same as --callback-address). */
  callbackAddresses?: string[];
}

export interface Inventory {
  nodes: NodeSpec[];
  controller: ControllerSpec;
  /** ssh_config file to pass to ssh with -F, resolved relative to the inventory file. */
  sshConfig?: string;
}
