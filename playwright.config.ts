import { defineConfig } from '@playwright/test';

/**
 * Browser e2e of the web console: the real gateway (`omixa serve`) in front of a local Azure OpenAI fake, driven in
 * Debian's Chromium. Global setup builds the renderer when needed and starts both servers (test/e2e/global-setup.ts).
 */
const jsonReport = process.env.PLAYWRIGHT_JSON_OUTPUT_NAME;

export default defineConfig({
  testDir: 'test/e2e',
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  globalSetup: './test/e2e/global-setup.ts',
  // Failure screenshots and traces land here; the specs also save a screenshot of every page (light and dark).
  outputDir: 'test-results/e2e',
  reporter: [['list'], ...(jsonReport ? [['json', { outputFile: jsonReport }] as const] : [])],
  use: {
    headless: true,
    viewport: { width: 1400, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
