// Bundles the reference agent (agent/src/main.ts) into one CommonJS file that the controller streams
// to `node -` on each node. The nodes may run Node 12, so the syntax is down-levelled to node12, and
// the bundle may require nothing but Node builtins, by their bare names (Node 12 knows no "node:").
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = `${root}agent/src/main.ts`;
const outfile = `${root}dist/agent/agent.cjs`;

const { metafile } = await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node12',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});

const bundle = readFileSync(outfile, 'utf8');
const builtins = new Set(builtinModules.filter((name) => !name.startsWith('_')));
const problems = [];
// An npm package would be inlined rather than required: the agent is meant to be standard library
// only (and most packages no longer run on Node 12), so inlining one is a failure too.
const inlined = new Set();
for (const input of Object.keys(metafile.inputs)) {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (pkg !== null) inlined.add(pkg[1]);
}
for (const name of inlined) problems.push(`package "${name}" is inlined into the bundle`);
for (const match of bundle.matchAll(/\brequire\s*\(\s*([^)]*)\)/g)) {
  const argument = match[1].trim();
  const literal = /^(["'])([^"']+)\1$/.exec(argument);
  if (literal === null) problems.push(`require(${argument}): not a string literal, so it cannot be checked`);
  else if (literal[2].startsWith('node:')) problems.push(`require("${literal[2]}"): Node 12 does not know the "node:" prefix`);
  else if (!builtins.has(literal[2])) problems.push(`require("${literal[2]}"): not a Node builtin, and nodes have no node_modules`);
}
if (problems.length > 0) {
  // Leave no bundle behind that the controller could pick up and stream.
  rmSync(outfile, { force: true });
  console.error(`build-agent: ${outfile} must depend on Node builtins only (and on no npm package):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}

const bytes = Buffer.byteLength(bundle);
console.log(`build-agent: ${outfile} ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`);

