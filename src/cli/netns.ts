/**
 * Running the controller inside a network namespace (the lab's controller side). Node cannot
 * setns(2) itself, so the CLI re-executes itself under `ip netns exec`, once, marked by an
 * environment variable, and passes signals and the exit status through.
 */
import { spawn } from 'node:child_process';

const MARK = 'TWOWAY_NETNS';

export function insideNetns(name: string): boolean {
  return process.env[MARK] === name;
}

export function reexecInNetns(name: string): Promise<number> {
  const child = spawn('ip', ['netns', 'exec', name, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [MARK]: name },
  });
  // The child gets terminal signals itself (same process group); for kill(1) from outside, pass them on.
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('error', (err) => {
      process.stderr.write(`twoway: cannot enter network namespace "${name}": ${err.message}\n`);
      resolve(2);
    });
    child.once('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}
