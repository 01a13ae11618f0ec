import path from 'node:path';
import { ensureRendererBuilt, startE2eEnvironment } from '../support/e2e-environment.js';

/**
 * Builds the web console if needed, starts the Azure fake and the gateway, and hands their addresses to the specs
 * through the environment (workers inherit it). Returns the teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  ensureRendererBuilt();
  const env = await startE2eEnvironment({ logFile: path.resolve(import.meta.dirname, '../../test-results/e2e-gateway.log') });
  process.env.OMIXA_E2E_URL = env.gatewayUrl;
  process.env.OMIXA_E2E_FAKE_URL = env.fakeUrl;
  process.env.OMIXA_E2E_ADMIN_TOKEN = env.adminToken;
  return () => env.stop();
}
