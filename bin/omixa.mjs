#!/usr/bin/env node
// The `omixa` CLI: runs the TypeScript sources through tsx so a fresh clone works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-gateway/cli.ts');
process.exitCode = await main(process.argv.slice(2));
