/** The machine a bench ran on, as the results describe it. */
import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';

export interface MachineDescription {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  node: string;
}

/** The first "model name" of /proc/cpuinfo (pure). */
function cpuModel(cpuinfo: string): string {
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
}

export function describeMachine(): MachineDescription {
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux, or /proc hidden: the model stays unknown.
  }
  return { cores: availableParallelism(), cpuModel: cpuModel(cpuinfo), memoryBytes: totalmem(), kernel: `Linux ${release()}`, node: process.version };
}
