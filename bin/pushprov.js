#!/usr/bin/env node
// Thin launcher so `npx pushprov` works from a clone without a build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
