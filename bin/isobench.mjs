#!/usr/bin/env node
// Entry point for `npx isobench`: loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';
register();
await import('../harness/cli.ts');
