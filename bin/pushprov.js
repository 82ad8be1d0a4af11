#!/usr/bin/env node
// Runs the compiled JavaScript in dist/; in a clone, dist/ is (re)built first
// when src/ is newer, so `npm start` never runs stale code. Development
// without a build: `npm run dev` (tsx).
import { ensureBuilt } from '../scripts/build.mjs';

ensureBuilt();
await import('../dist/cli.js');
