// `npm run soak`: the compiled false-alarm soak (controller/bench/soak.ts); `npm run soak` builds first.
import { soakMain } from '../dist/controller/bench/soak.js';

process.exitCode = await soakMain(process.argv.slice(2));
