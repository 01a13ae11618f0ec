import { defineConfig } from 'vitest/config';

/** The keychain suite alone: it needs a Secret Service session, which scripts/test-keychain.sh provides. */
export default defineConfig({
  test: {
    include: ['test/keychain/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
