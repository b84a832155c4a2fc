/** The real CLI as an operator runs it: a child process, no colour, its exit code and both streams. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));

export function twoway(args: readonly string[], timeout = 60_000): { code: number | null; stdout: string; stderr: string } {
  // maxBuffer: a listing of a large inventory is several MiB (spawnSync's default stops at 1 MiB).
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A directory removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'twoway-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
