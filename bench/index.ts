/** `npm run bench`: every benchmark, one after another, figures and ratios printed. */
import { runCryptoBench } from './crypto.bench.js';
import { runLoadBench } from './load.bench.js';
import { runStartBench } from './start.bench.js';

console.log('== crypto: signing and payload encryption');
await runCryptoBench();

console.log('\n== load: the issuer API, both use cases, over HTTP');
const load = await runLoadBench();
if (load.errors > 0) process.exitCode = 1;

console.log('\n== start-up: compiled JavaScript beside tsx');
await runStartBench();
