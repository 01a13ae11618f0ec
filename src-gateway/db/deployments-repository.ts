import type { Db } from './connection.js';
import { newId } from '../ids.js';

export const PROVIDERS = ['azure', 'openai', 'openai-compatible', 'anthropic', 'gemini', 'vertex'] as const;
export type ProviderId = (typeof PROVIDERS)[number];

/** A deployment as stored: everything but its secret, which lives in the vault under `secretRef`. */
export interface Deployment {
  id: string;
  name: string;
  provider: ProviderId;
  model: string;
  endpoint: string;
  deployment: string;
  apiVersion: string | null;
  region: string | null;
  rpm: number;
  tpm: number;
  hourlyTokens: number;
  weight: number;
  priority: number;
  fastMode: boolean;
  enabled: boolean;
  secretRef: string;
  /** Last 4 characters of the secret, to tell keys apart without showing them. */
  secretHint: string | null;
  options: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

interface DeploymentRow {
  id: string;
  name: string;
  provider: ProviderId;
  model: string;
  endpoint: string;
  deployment: string;
  api_version: string | null;
  region: string | null;
  rpm: number;
  tpm: number;
  hourly_tokens: number;
  weight: number;
  priority: number;
  fast_mode: number;
  enabled: number;
  secret_ref: string;
  secret_hint: string | null;
  options: string;
  created_at: number;
  updated_at: number;
}

const toDeployment = (r: DeploymentRow): Deployment => ({
  id: r.id,
  name: r.name,
  provider: r.provider,
  model: r.model,
  endpoint: r.endpoint,
  deployment: r.deployment,
  apiVersion: r.api_version,
  region: r.region,
  rpm: r.rpm,
  tpm: r.tpm,
  hourlyTokens: r.hourly_tokens,
  weight: r.weight,
  priority: r.priority,
  fastMode: r.fast_mode === 1,
  enabled: r.enabled === 1,
  secretRef: r.secret_ref,
  secretHint: r.secret_hint,
  options: JSON.parse(r.options) as Record<string, unknown>,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export type NewDeployment = Pick<Deployment, 'name' | 'provider' | 'model' | 'endpoint' | 'deployment'> &
  Partial<Pick<Deployment, 'apiVersion' | 'region' | 'rpm' | 'tpm' | 'hourlyTokens' | 'weight' | 'priority' | 'fastMode' | 'enabled' | 'options' | 'secretHint'>>;

export type DeploymentPatch = Partial<
  Pick<Deployment, 'endpoint' | 'deployment' | 'apiVersion' | 'region' | 'rpm' | 'tpm' | 'hourlyTokens' | 'weight' | 'priority' | 'fastMode' | 'enabled' | 'options' | 'secretHint'>
>;

export type DeploymentsRepository = ReturnType<typeof createDeploymentsRepository>;

export function createDeploymentsRepository(db: Db) {
  const insert = db.prepare(
    `INSERT INTO deployments (id, name, provider, model, endpoint, deployment, api_version, region, rpm, tpm, hourly_tokens, weight, priority,
       fast_mode, enabled, secret_ref, secret_hint, options, created_at, updated_at)
     VALUES (@id, @name, @provider, @model, @endpoint, @deployment, @api_version, @region, @rpm, @tpm, @hourly_tokens, @weight, @priority,
       @fast_mode, @enabled, @secret_ref, @secret_hint, @options, @now, @now)`,
  );
  const update = db.prepare(
    `UPDATE deployments SET endpoint = @endpoint, deployment = @deployment, api_version = @api_version, region = @region, rpm = @rpm, tpm = @tpm,
       hourly_tokens = @hourly_tokens, weight = @weight, priority = @priority, fast_mode = @fast_mode, enabled = @enabled,
       secret_hint = @secret_hint, options = @options, updated_at = @now WHERE id = @id`,
  );
  const all = db.prepare<[], DeploymentRow>('SELECT * FROM deployments ORDER BY model, priority, name');
  const byName = db.prepare<[string], DeploymentRow>('SELECT * FROM deployments WHERE name = ?');
  const byId = db.prepare<[string], DeploymentRow>('SELECT * FROM deployments WHERE id = ?');
  const remove = db.prepare('DELETE FROM deployments WHERE id = ?');

  const row = (d: Omit<Deployment, 'createdAt' | 'updatedAt'>) => ({
    id: d.id,
    name: d.name,
    provider: d.provider,
    model: d.model,
    endpoint: d.endpoint,
    deployment: d.deployment,
    api_version: d.apiVersion,
    region: d.region,
    rpm: d.rpm,
    tpm: d.tpm,
    hourly_tokens: d.hourlyTokens,
    weight: d.weight,
    priority: d.priority,
    fast_mode: d.fastMode ? 1 : 0,
    enabled: d.enabled ? 1 : 0,
    secret_ref: d.secretRef,
    secret_hint: d.secretHint,
    options: JSON.stringify(d.options),
    now: Date.now(),
  });

  return {
    add(input: NewDeployment, secretRef: string): Deployment {
      if (byName.get(input.name)) throw new RangeError(`deployment "${input.name}" already exists`);
      const id = newId('dep');
      insert.run(
        row({
          id,
          name: input.name,
          provider: input.provider,
          model: input.model,
          endpoint: input.endpoint,
          deployment: input.deployment,
          apiVersion: input.apiVersion ?? null,
          region: input.region ?? null,
          rpm: input.rpm ?? 0,
          tpm: input.tpm ?? 0,
          hourlyTokens: input.hourlyTokens ?? 0,
          weight: input.weight ?? 1,
          priority: input.priority ?? 0,
          fastMode: input.fastMode ?? false,
          enabled: input.enabled ?? true,
          secretRef,
          secretHint: input.secretHint ?? null,
          options: input.options ?? {},
        }),
      );
      return toDeployment(byId.get(id)!);
    },
    list: (): Deployment[] => all.all().map(toDeployment),
    get(idOrName: string): Deployment | undefined {
      const r = byId.get(idOrName) ?? byName.get(idOrName);
      return r ? toDeployment(r) : undefined;
    },
    update(idOrName: string, patch: DeploymentPatch): Deployment | undefined {
      const current = this.get(idOrName);
      if (!current) return undefined;
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      update.run(row({ ...current, ...defined }));
      return toDeployment(byId.get(current.id)!);
    },
    remove(idOrName: string): Deployment | undefined {
      const current = this.get(idOrName);
      if (current) remove.run(current.id);
      return current;
    },
  };
}
