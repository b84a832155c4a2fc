/**
 * The PowerShell agent flavour (agent/powershell/twoway-agent.ps1), for Windows Server nodes reached
 * by OpenSSH: PowerShell 5.1 parses JSON, so the plan is embedded as JSON text in front of the agent.
 * The remote command is a short bootstrap given to -EncodedCommand (base64 of UTF-16LE, so no
 * quoting survives into cmd.exe or PowerShell), which reads the rest of stdin and runs it.
 * Not yet run against real Windows.
 */
import type { Plan } from '../../src/protocol.js';
import { agentText } from './agent-text.js';
import type { AgentFlavourModule } from './types.js';

const POWERSHELL_AGENT = agentText('powershell/twoway-agent.ps1', 'powershell');
export const POWERSHELL_AGENT_PATH = POWERSHELL_AGENT.path;

/** Reads everything the controller streams after the command, and runs it as one script block. */
export const POWERSHELL_BOOTSTRAP = "$ErrorActionPreference='Stop';& ([scriptblock]::Create([Console]::In.ReadToEnd()))";

/** What -EncodedCommand takes: the text as UTF-16LE, base64. */
export function encodePowershellCommand(text: string): string {
  return Buffer.from(text, 'utf16le').toString('base64');
}

/** The agent as sent after the plan: its protocol constants, then the script without comment lines and indentation. */
export const powershellAgentText = POWERSHELL_AGENT.text;

/**
 * The plan as a single-quoted here-string: nothing in it is interpreted, and it cannot end early
 * because JSON.stringify writes no line breaks. Non-ASCII is escaped, so the console's input code
 * page on the node does not matter.
 */
export function embedPlan(plan: Plan): string {
  const json = JSON.stringify(plan).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `$Plan = ConvertFrom-Json @'\n${json}\n'@\n`;
}

export const powershellAgent: AgentFlavourModule = {
  flavour: 'powershell',
  script: (plan) => embedPlan(plan) + powershellAgentText(),
  remoteCommand: `powershell -NoProfile -NonInteractive -EncodedCommand ${encodePowershellCommand(POWERSHELL_BOOTSTRAP)}`,
  cannotMeasure: ['the idle hold (no WebSocket client)', 'FTP callbacks', 'anything yet on real Windows: never run there'],
};
