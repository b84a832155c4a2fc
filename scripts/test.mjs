// Runs the compiled tests: unit and loopback tests in parallel, then the lab tests (network
// namespaces, shared lab state) one file at a time. Node 20's --test takes no globs, so list files here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? find(path) : name.endsWith('.test.js') ? [path] : [];
  });
}
const only = process.argv.slice(2);
// Filters match the path under dist/test/ only: a checkout path such as /work/wt-history would
// otherwise match "history" in every file, lab tests included.
const files = find(root).filter((f) => only.length === 0 || only.some((o) => f.slice(root.length).includes(o))).sort();
const lab = files.filter((f) => f.includes('/lab/'));
const rest = files.filter((f) => !f.includes('/lab/'));

let failed = false;
for (const [group, concurrency] of [[rest, 2], [lab, 1]]) {
  if (group.length === 0) continue;
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...group], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
