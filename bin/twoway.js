#!/usr/bin/env node
// The CLI is compiled to dist/; a fresh checkout has none until it is built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`twoway: ${fileURLToPath(main)} is missing: build it first with "npm ci && npm run build" in ${fileURLToPath(new URL('..', import.meta.url))}\n`);
  process.exit(2);
}
await import(main.href);
