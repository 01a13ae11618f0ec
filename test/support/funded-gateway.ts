import type OpenAI from 'openai';
import { startAzureFake, type AzureFake, type AzureFakeOptions } from './fakes/azure-openai.js';
import { startTestGateway, type TestGateway } from './gateway.js';

/** A test gateway in front of one upstream fake, with the default account topped up and a key on it. */
export interface FundedGateway<Fake> {
  fake: Fake;
  gw: TestGateway;
  /** A key on the default account. */
  key: string;
  /** `gw.openai(key)`. */
  client: OpenAI;
  /** Stops the gateway, then the fake. */
  close(): Promise<void>;
}

export interface FundedGatewayOptions {
  /** Environment for the gateway (`startTestGateway`'s `env`). */
  env?: Record<string, string>;
  /** What the default account is topped up with; 10 USD unless said. */
  topUpMicros?: number;
  /** Input for the key (`gw.createKey`), e.g. its name or `require_signature`. */
  key?: Record<string, unknown>;
}

/**
 * Starts `startFake()`, then a gateway; `deploy` adds the deployments on the fake, then the default account is topped
 * up and a key made, in that order. If any step fails, what was started is closed before the error is rethrown.
 *
 * Made for `beforeAll(async () => { const setup = await …; ({ gw, key } = setup); return setup.close; })`.
 */
export async function startFundedGateway<Fake extends { close(): Promise<void> }>(
  startFake: () => Promise<Fake>,
  deploy: (gw: TestGateway, fake: Fake) => Promise<unknown>,
  options: FundedGatewayOptions = {},
): Promise<FundedGateway<Fake>> {
  const fake = await startFake();
  let gw: TestGateway | undefined;
  const close = async () => {
    await gw?.close();
    await fake.close();
  };
  try {
    gw = await startTestGateway({ env: options.env });
    await deploy(gw, fake);
    await gw.topUp(options.topUpMicros ?? 10_000_000);
    const { key } = await gw.createKey(options.key);
    return { fake, gw, key, client: gw.openai(key), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * `startFundedGateway` with an Azure OpenAI fake: one `gw.addAzureDeployment(fake, input)` per entry of
 * `deployments` (one with the defaults, gpt-4o-mini, unless said).
 */
export function startAzureGateway(
  options: FundedGatewayOptions & { fake?: AzureFakeOptions; deployments?: Record<string, unknown>[] } = {},
): Promise<FundedGateway<AzureFake>> {
  const { fake: fakeOptions, deployments = [{}], ...rest } = options;
  return startFundedGateway(
    () => startAzureFake(fakeOptions),
    async (gw, fake) => {
      for (const deployment of deployments) await gw.addAzureDeployment(fake, deployment);
    },
    rest,
  );
}
