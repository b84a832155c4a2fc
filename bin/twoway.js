#!/usr/bin/env node
// The CLI is compiled to dist/; a fresh checkout has none until it is built.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`twoway: ${main.pathname} is missing: build it first with "npm ci && npm run build" in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(2);
}
await import(main.href);
