// `npm run bench`: the compiled bench (controller/bench/main.ts); `npm run bench` builds first.
import { benchMain } from '../dist/controller/bench/main.js';

process.exitCode = await benchMain(process.argv.slice(2));
