import { randomBytes } from 'node:crypto';
import type { Store } from './db/store.js';
import type { SecretVault } from './vault/types.js';
import { gatewayError } from './errors.js';
import { PROVIDERS, type Deployment, type DeploymentPatch, type ProviderId } from './db/deployments-repository.js';
import { MODALITIES, type Modality, type PricePatch } from './db/catalog-repository.js';
import type { Account } from './db/accounts-repository.js';
import { usdToMicros } from './domain/pricing.js';
import { WalletRuleError } from './domain/wallet.js';

/**
 * Administrative operations shared by the CLI and the admin API, so both do exactly the same thing: validation,
 * the vault for secrets, the repositories for the rest. Errors are `invalid_request` / `not_found` gateway errors
 * whose message is one readable line.
 */

export const ADMIN_TOKEN_SECRET = 'admin-token';
export const deploymentSecretName = (name: string): string => `deployment:${name}`;

export interface DeploymentInput {
  name: string;
  provider?: string;
  model: string;
  endpoint: string;
  deployment?: string;
  apiKey: string;
  apiVersion?: string | null;
  region?: string | null;
  rpm?: number;
  tpm?: number;
  hourlyTokens?: number;
  weight?: number;
  priority?: number;
  fastMode?: boolean;
  enabled?: boolean;
  modality?: string;
  options?: Record<string, unknown>;
}

/** A deployment as shown to admins: its secret appears only as a hint of its last characters. */
export type DeploymentView = Omit<Deployment, 'secretRef'> & { secret: string };

export function viewDeployment(d: Deployment): DeploymentView {
  const { secretRef: _ref, ...rest } = d;
  return { ...rest, secret: d.secretHint ? `••••${d.secretHint}` : '••••' };
}

const invalid = (message: string, param?: string) => gatewayError('invalid_request', message, { param: param ?? null });

function checkCount(value: number | undefined, field: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) throw invalid(`${field} must be a non-negative integer`, field);
}

function normaliseEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid(`endpoint "${endpoint}" is not a URL`, 'endpoint');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('endpoint must be an http(s) URL', 'endpoint');
  return url.toString().replace(/\/+$/, '');
}

function secretHint(secret: string): string | null {
  return secret.length >= 12 ? secret.slice(-4) : null;
}

export type ControlPlane = ReturnType<typeof createControlPlane>;

export function createControlPlane(store: Store, vault: SecretVault) {
  function account(idOrName: string | undefined): Account {
    const found = idOrName ? store.accounts.find(idOrName) : store.accounts.ensureDefault();
    if (!found) throw gatewayError('not_found', `no account "${idOrName}"`, { param: 'account' });
    return found;
  }

  function deployment(idOrName: string): Deployment {
    const found = store.deployments.get(idOrName);
    if (!found) throw gatewayError('not_found', `no deployment "${idOrName}"`, { param: 'name' });
    return found;
  }

  function checkLimits(input: Partial<DeploymentInput>): void {
    for (const field of ['rpm', 'tpm', 'hourlyTokens', 'weight', 'priority'] as const) checkCount(input[field], field);
  }

  return {
    account,
    deployment,

    createAccount(name: string): Account {
      try {
        return store.accounts.create(name);
      } catch (err) {
        throw invalid((err as Error).message, 'name');
      }
    },

    createKey(input: { name: string; account?: string; rpm?: number; tpm?: number; models?: string[]; requireSignature?: boolean }) {
      checkCount(input.rpm, 'rpm');
      checkCount(input.tpm, 'tpm');
      const owner = account(input.account);
      try {
        return store.keys.create({ accountId: owner.id, name: input.name, rpm: input.rpm, tpm: input.tpm, models: input.models, requireSignature: input.requireSignature });
      } catch (err) {
        throw invalid((err as Error).message, 'name');
      }
    },

    revokeKey(id: string): void {
      if (!store.keys.get(id)) throw gatewayError('not_found', `no key "${id}"`, { param: 'id' });
      store.keys.revoke(id);
    },

    /**
     * Adds a deployment; its secret goes to the vault. A model not in the catalog is added unpriced with `modality`
     * (default chat), and `addedUnpricedModel` says so; for a model in the catalog, a `modality` other than its own is refused.
     */
    async addDeployment(input: DeploymentInput): Promise<{ deployment: DeploymentView; addedUnpricedModel: boolean; modality: Modality }> {
      const provider = (input.provider ?? 'azure') as ProviderId;
      if (!PROVIDERS.includes(provider)) throw invalid(`provider must be one of ${PROVIDERS.join(', ')}`, 'provider');
      if (!/^[\w.:@-]{1,64}$/.test(input.name ?? '')) throw invalid('name must be 1-64 letters, digits or . _ : @ -', 'name');
      if (!input.model || input.model.length > 128) throw invalid('model is required', 'model');
      if (!input.apiKey) throw invalid('an API key is required', 'api_key');
      if (store.deployments.get(input.name)) throw invalid(`deployment "${input.name}" already exists`, 'name');
      const modality = (input.modality ?? 'chat') as Modality;
      if (!MODALITIES.includes(modality)) throw invalid(`modality must be one of ${MODALITIES.join(', ')}`, 'modality');
      // A model the catalog knows keeps its modality: a different one given here is a mistake, not an override. A
      // custom model no deployment serves any more takes the new one (it may have been added with the wrong one).
      const known = store.catalog.get(input.model);
      const refile = known !== undefined && input.modality !== undefined && known.modality !== modality;
      if (refile) {
        if (known.source !== 'custom') {
          throw invalid(`the catalog lists "${input.model}" as ${known.modality}, not ${modality}: leave the modality out or give ${known.modality}`, 'modality');
        }
        const servedBy = store.deployments.list().filter((d) => d.model === input.model).map((d) => d.name);
        if (servedBy.length > 0) {
          throw invalid(`"${input.model}" is served as ${known.modality} by ${servedBy.join(', ')}: remove those deployments to serve it as ${modality}`, 'modality');
        }
      }
      checkLimits(input);
      const endpoint = normaliseEndpoint(input.endpoint);
      if (refile) store.catalog.setCustomModality(input.model, modality);
      const addedUnpricedModel = store.catalog.ensureCustom(input.model, modality, provider);
      const secretRef = deploymentSecretName(input.name);
      await vault.set(secretRef, input.apiKey);
      const added = store.deployments.add(
        {
          name: input.name,
          provider,
          model: input.model,
          endpoint,
          deployment: input.deployment || input.model,
          apiVersion: input.apiVersion ?? (provider === 'azure' ? '2024-10-21' : null),
          region: input.region ?? null,
          rpm: input.rpm,
          tpm: input.tpm,
          hourlyTokens: input.hourlyTokens,
          weight: input.weight ?? 1,
          priority: input.priority ?? 0,
          fastMode: input.fastMode ?? false,
          enabled: input.enabled ?? true,
          secretHint: secretHint(input.apiKey),
          options: input.options ?? {},
        },
        secretRef,
      );
      return { deployment: viewDeployment(added), addedUnpricedModel, modality: known && !refile ? known.modality : modality };
    },

    async updateDeployment(idOrName: string, patch: DeploymentPatch & { apiKey?: string }): Promise<DeploymentView> {
      const current = deployment(idOrName);
      checkLimits(patch);
      const { apiKey, ...fields } = patch;
      if (fields.endpoint !== undefined) fields.endpoint = normaliseEndpoint(fields.endpoint);
      if (apiKey) {
        await vault.set(current.secretRef, apiKey);
        fields.secretHint = secretHint(apiKey);
      }
      return viewDeployment(store.deployments.update(current.id, fields)!);
    },

    async removeDeployment(idOrName: string): Promise<DeploymentView> {
      const removed = store.deployments.remove(deployment(idOrName).id)!;
      await vault.delete(removed.secretRef);
      return viewDeployment(removed);
    },

    /** Sets prices given in USD (per MTok for tokens); unknown models are refused. */
    setPrice(model: string, prices: Partial<Record<'input' | 'cachedInput' | 'cacheWrite' | 'output' | 'perImage' | 'perSecond' | 'per1kChars' | 'per1kSearches', string | number | null>>) {
      const patch: PricePatch = {};
      const map = {
        input: 'inputPerMtokMicros',
        cachedInput: 'cachedInputPerMtokMicros',
        cacheWrite: 'cacheWritePerMtokMicros',
        output: 'outputPerMtokMicros',
        perImage: 'perImageMicros',
        perSecond: 'perSecondMicros',
        per1kChars: 'per1kCharsMicros',
        per1kSearches: 'per1kSearchesMicros',
      } as const;
      for (const [key, field] of Object.entries(map) as [keyof typeof map, (typeof map)[keyof typeof map]][]) {
        const value = prices[key];
        if (value === undefined) continue;
        if (value === null) {
          patch[field] = null;
          continue;
        }
        let micros: number;
        try {
          micros = usdToMicros(value);
        } catch {
          throw invalid(`${key} must be a USD amount like 0.15`, key);
        }
        if (micros < 0) throw invalid(`${key} must not be negative`, key);
        patch[field] = micros;
      }
      const updated = store.catalog.setPrice(model, patch);
      if (!updated) throw gatewayError('not_found', `no model "${model}" in the catalog`, { param: 'model' });
      return updated;
    },

    topUp(accountIdOrName: string | undefined, amountMicros: number, note?: string) {
      if (!Number.isSafeInteger(amountMicros) || amountMicros <= 0) throw invalid('amount must be a positive number of micro-USD', 'amount_micros');
      const owner = account(accountIdOrName);
      try {
        return { account: owner, wallet: store.wallet.topUp(owner.id, amountMicros, note ?? null) };
      } catch (err) {
        // The wallet refuses a balance beyond what it can count exactly.
        if (err instanceof WalletRuleError) throw invalid(err.message, 'amount_micros');
        throw err;
      }
    },

    adjust(accountIdOrName: string | undefined, deltaMicros: number, note?: string) {
      if (!Number.isSafeInteger(deltaMicros) || deltaMicros === 0) throw invalid('amount must be a non-zero number of micro-USD', 'amount_micros');
      const owner = account(accountIdOrName);
      try {
        return { account: owner, wallet: store.wallet.adjust(owner.id, deltaMicros, note ?? null) };
      } catch (err) {
        throw invalid((err as Error).message, 'amount_micros');
      }
    },

    /** The admin token: `OMIXA_ADMIN_TOKEN` when set, else the one in the vault, created at first use. */
    async adminToken(envToken?: string): Promise<string> {
      if (envToken) return envToken;
      const existing = await vault.get(ADMIN_TOKEN_SECRET);
      if (existing) return existing;
      const token = `omx_admin_${randomBytes(24).toString('base64url')}`;
      await vault.set(ADMIN_TOKEN_SECRET, token);
      return token;
    },

    async rotateAdminToken(): Promise<string> {
      const token = `omx_admin_${randomBytes(24).toString('base64url')}`;
      await vault.set(ADMIN_TOKEN_SECRET, token);
      return token;
    },
  };
}
