/** `npm run bench`: every benchmark, one after another, figures and ratios printed. */
import { runCryptoBench } from './crypto.bench.js';

console.log('== crypto: signing and payload encryption');
await runCryptoBench();
