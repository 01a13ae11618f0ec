import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * The static CSP meta tag in index.html forbids the inline scripts/styles the Vite dev server injects
 * (React Refresh preamble, HMR styles). In dev the main process sets an equivalent header that allows them,
 * so the tag is dropped from served HTML only; built HTML keeps it.
 */
function dropCspMetaInDevServer(): Plugin {
  return {
    name: 'omixa:drop-csp-meta-in-dev-server',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace(/<meta\s+http-equiv="Content-Security-Policy"[^>]*>\s*/i, ''),
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      // Every package.json "dependency" stays a runtime import (the default): better-sqlite3 and keytar are
      // native modules that cannot be bundled, and the rest are loaded from node_modules like under `omixa serve`.
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/main/index.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/preload/index.ts') },
        // Sandboxed preloads cannot be ES modules; .cjs because package.json says "type": "module".
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [react(), dropCspMetaInDevServer()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: {
        input: { index: resolve(root, 'src-renderer/index.html') },
      },
    },
  },
});
