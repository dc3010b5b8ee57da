#!/usr/bin/env node
// `billing`: loads the TypeScript CLI in this same process through tsx's loader (no build
// step, no child process — so SIGTERM/SIGINT reach `billing run` directly and it drains).
import { register } from 'tsx/esm/api';

register();
const { runOnProcess } = await import('../src/cli/main.ts');
await runOnProcess();
