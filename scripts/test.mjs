// Runs the compiled tests: unit and loopback tests in parallel, then the lab tests (network
// namespaces, shared lab state) one file at a time. Node 20's --test takes no globs, so list files here.
import { existsSync, readdirSync, statSync } from 'node:fs';
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
// Filters match the path under dist/test/ only, so a word in the checkout's own path selects nothing extra.
// A filter selects lab tests (namespaces, the machine-wide lab) only when it names them: "lab/...".
const selects = (o, rel) => rel.includes(o) && (!rel.startsWith('lab/') || o.startsWith('lab/'));
const files = find(root).filter((f) => only.length === 0 || only.some((o) => selects(o, f.slice(root.length)))).sort();
const lab = files.filter((f) => f.slice(root.length).startsWith('lab/'));
const rest = files.filter((f) => !f.slice(root.length).startsWith('lab/'));

// The lab's Debian packages (sshd, nft, busybox, curl, python3, ...) serve the agent tests too
// (busybox sh and wget, curl, python3): install what is missing first, as root, as the lab would.
if (process.getuid?.() === 0) {
  const { ensurePrerequisites } = await import('../dist/controller/lab/prereq.js');
  await ensurePrerequisites({ log: (line) => console.error(`test: ${line}`) });
}

// The HTML report tests drive Debian's chromium (playwright-core downloads no browser): install it
// here when missing, as the lab installs its packages, so `npm ci && npm test` is the whole set-up.
if (files.some((f) => /html|formats/.test(f.slice(root.length))) && !existsSync('/usr/bin/chromium') && process.getuid?.() === 0) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (r.status !== 0) {
      console.error(`test: apt-get ${args.join(' ')} failed; the HTML report tests need /usr/bin/chromium`);
      process.exit(1);
    }
  }
}

let failed = false;
for (const [group, concurrency] of [[rest, 2], [lab, 1]]) {
  if (group.length === 0) continue;
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...group], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
