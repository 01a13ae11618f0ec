import { EventEmitter } from 'node:events';
import type { Store } from './db/store.js';
import type { SecretVault } from './vault/types.js';
import { dataVersion } from './db/connection.js';
import { sha256Hex } from './ids.js';
import type { KeyLookup } from './db/keys-repository.js';
import type { Deployment } from './db/deployments-repository.js';
import type { ModelRecord } from './db/catalog-repository.js';
import type { Account } from './db/accounts-repository.js';

/**
 * In-memory views of what the request path reads on every call (keys, deployments, models, accounts), rebuilt when
 * the database changes: at once after this process's own admin writes (`invalidate`), and within `reloadIntervalMs`
 * after another process (the CLI) commits, detected through SQLite's `data_version`.
 */
export class LiveState extends EventEmitter {
  private keysByHash = new Map<string, KeyLookup>();
  private deploymentsByModel = new Map<string, Deployment[]>();
  private deploymentsById = new Map<string, Deployment>();
  private models = new Map<string, ModelRecord>();
  private accounts = new Map<string, Account>();
  private secrets = new Map<string, Promise<string | undefined>>();
  private version = -1;
  private timer: NodeJS.Timeout | undefined;
  settings: Record<string, string> = {};

  constructor(
    private readonly store: Store,
    private readonly vault: SecretVault,
  ) {
    super();
    this.reload();
  }

  /** Starts watching for changes committed by other processes. */
  watch(intervalMs: number): void {
    this.timer = setInterval(() => {
      try {
        if (dataVersion(this.store.db) !== this.version) this.reload();
      } catch {
        // The database is closing; the next start reloads anyway.
      }
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Rebuilds every view now (after a write by this process). */
  invalidate(): void {
    this.reload();
  }

  private reload(): void {
    this.version = dataVersion(this.store.db);
    this.keysByHash = new Map(this.store.keys.activeWithHashes().map((k) => [k.keyHash, k]));
    const deployments = this.store.deployments.list();
    this.deploymentsById = new Map(deployments.map((d) => [d.id, d]));
    const byModel = new Map<string, Deployment[]>();
    for (const d of deployments) byModel.set(d.model, [...(byModel.get(d.model) ?? []), d]);
    this.deploymentsByModel = byModel;
    this.models = new Map(this.store.catalog.list().map((m) => [m.id, m]));
    this.accounts = new Map(this.store.accounts.list().map((a) => [a.id, a]));
    this.settings = this.store.settings.all();
    // Secrets may have been replaced together with their deployment: read them again on next use.
    this.secrets.clear();
    this.emit('reload');
  }

  keyFor(presented: string): KeyLookup | undefined {
    return this.keysByHash.get(sha256Hex(presented));
  }

  deploymentsFor(model: string): readonly Deployment[] {
    return this.deploymentsByModel.get(model) ?? [];
  }

  deployment(id: string): Deployment | undefined {
    return this.deploymentsById.get(id);
  }

  allDeployments(): Deployment[] {
    return [...this.deploymentsById.values()];
  }

  model(id: string): ModelRecord | undefined {
    return this.models.get(id);
  }

  allModels(): ModelRecord[] {
    return [...this.models.values()];
  }

  account(id: string): Account | undefined {
    return this.accounts.get(id);
  }

  /** The deployment's secret from the vault, cached until the next reload. */
  secretFor(deployment: Deployment): Promise<string | undefined> {
    let pending = this.secrets.get(deployment.secretRef);
    if (!pending) {
      pending = this.vault.get(deployment.secretRef);
      pending.catch(() => this.secrets.delete(deployment.secretRef));
      this.secrets.set(deployment.secretRef, pending);
    }
    return pending;
  }
}
