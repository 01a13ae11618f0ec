import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    // The keychain suite needs a Secret Service session (scripts/test-keychain.sh); e2e runs under Playwright.
    exclude: ['test/keychain/**', 'test/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep integration files from starving each other's timing assertions.
    maxWorkers: 2,
  },
});
