/** The Node reference agent as a flavour: the bundle with its plan in front, read by `node -`. */
import { agentScript } from './deploy.js';
import type { AgentFlavourModule } from './types.js';

export const nodeAgent: AgentFlavourModule = {
  flavour: 'node',
  script: agentScript,
  remoteCommand: 'node -',
};
