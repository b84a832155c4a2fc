/**
 * What a CLI process loads (src/cli/main.ts): a command's file holds its options, its action loads
 * the implementation. Each test runs the real CLI with a module hook that records every module
 * resolved, and checks which of the heavy parts were loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BIN, tempDir } from '../../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** The controller's run and what only it needs; none is wanted in a process that does not run one. */
const RUN_ONLY = ['dist/src/cli/run-controller.js', 'dist/controller/run/run.js', 'dist/controller/wire/listener.js', 'dist/controller/probers/index.js'];
const HEAVY_PACKAGES = ['node_modules/undici/', 'node_modules/ws/'];

/**
 * Runs `twoway ARGS` with a resolve hook and returns the repository-relative paths of the modules it
 * resolved, with its exit code. `path` goes first on PATH (for a stand-in `ip`).
 */
function modulesLoadedBy(dir: string, args: readonly string[], path?: string): { code: number | null; stderr: string; loaded: string[] } {
  const trace = join(dir, 'trace.txt');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const r = await next(specifier, context);\n  appendFileSync(${JSON.stringify(trace)}, r.url + '\\n');\n  return r;\n}\n`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  const env = { ...process.env, NO_COLOR: '1', ...(path === undefined ? {} : { PATH: `${path}:${process.env.PATH ?? ''}` }) };
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, BIN, ...args], { encoding: 'utf8', timeout: 60_000, env });
  const urls = existsSync(trace) ? readFileSync(trace, 'utf8').split('\n') : [];
  const root = pathToFileURL(ROOT).href;
  const loaded = [...new Set(urls.filter((u) => u.startsWith(root)).map((u) => u.slice(root.length)))];
  return { code: r.status, stderr: r.stderr, loaded };
}

function assertNoneLoaded(loaded: readonly string[], unwanted: readonly string[], what: string): void {
  assert.ok(loaded.includes('dist/src/cli/main.js'), `the hook saw the CLI start (${what})`);
  const found = loaded.filter((path) => unwanted.some((u) => path.startsWith(u)));
  assert.deepEqual(found, [], `${what} loaded them`);
}

test('startup: --help, a command\'s --help and twoway explain load no command\'s implementation', (t) => {
  const dir = tempDir(t, 'twoway-startup-');
  const implementations = [...RUN_ONLY, 'dist/src/cli/run-prepare.js', 'dist/controller/lab/index.js', 'dist/src/cli/outputs.js', 'dist/src/render/html.js', 'node_modules/yaml/', ...HEAVY_PACKAGES];
  for (const args of [['--help'], ['run', '--help'], ['lab', 'up', '--help'], ['explain', 'path-outage']]) {
    const { code, loaded } = modulesLoadedBy(dir, args);
    assert.equal(code, 0, args.join(' '));
    assertNoneLoaded(loaded, implementations, `twoway ${args.join(' ')}`);
  }
});

test('startup: the process a run starts with checks the inventory and supervises, loading none of the controller', (t) => {
  const dir = tempDir(t, 'twoway-startup-');
  // A stand-in `ip` that ends at once: the child is never started, so what was loaded is the supervisor's alone.
  writeFileSync(join(dir, 'ip'), '#!/bin/sh\nexit 7\n');
  chmodSync(join(dir, 'ip'), 0o755);
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, 'controller:\n  netns: stand-in\n  callback_addresses: [127.0.0.1]\nnodes:\n  - name: n1\n    address: 127.0.0.2\n');
  const { code, stderr, loaded } = modulesLoadedBy(dir, ['run', '--inventory', inventory], dir);
  assert.equal(code, 7, `the supervisor exits as its child did (stderr: ${stderr})`);
  assert.ok(loaded.includes('dist/src/cli/run-prepare.js'), 'it checked the run');
  assertNoneLoaded(loaded, [...RUN_ONLY, ...HEAVY_PACKAGES], 'the supervising process');
});
