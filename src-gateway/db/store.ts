import path from 'node:path';
import { openDatabase, type Db, type OpenDatabaseOptions } from './connection.js';
import { createAccountsRepository } from './accounts-repository.js';
import { createKeysRepository } from './keys-repository.js';
import { createWalletRepository } from './wallet-repository.js';
import { createRequestsRepository } from './requests-repository.js';
import { createBillingRepository } from './billing-repository.js';
import { createCatalogRepository, type CatalogEntry } from './catalog-repository.js';
import { createDeploymentsRepository } from './deployments-repository.js';
import { createSettingsRepository } from './settings-repository.js';
import { createTicketsRepository } from './tickets-repository.js';
import { createResponsesRepository } from './responses-repository.js';
import { randomBase62 } from '../ids.js';
import catalog from '../../resources/catalog.json' with { type: 'json' };

export const DATABASE_FILE = 'omixa.db';

/** Every repository over one connection. The server and the CLI each open their own store on the same data dir. */
export function openStore(dataDir: string, options: OpenDatabaseOptions = {}) {
  const db: Db = openDatabase(path.join(dataDir, DATABASE_FILE), options);
  const accounts = createAccountsRepository(db);
  const keys = createKeysRepository(db);
  const wallet = createWalletRepository(db);
  const requests = createRequestsRepository(db);
  const billing = createBillingRepository(db, wallet, requests);
  const catalogRepo = createCatalogRepository(db);
  const deployments = createDeploymentsRepository(db);
  const settings = createSettingsRepository(db);
  const tickets = createTicketsRepository(db);
  const responses = createResponsesRepository(db);

  catalogRepo.seed(catalog.models as CatalogEntry[]);
  accounts.ensureDefault();
  let instanceId = settings.get('instance_id');
  if (!instanceId) {
    instanceId = randomBase62(16);
    settings.set('instance_id', instanceId);
  }

  return { db, accounts, keys, wallet, requests, billing, catalog: catalogRepo, deployments, settings, tickets, responses, instanceId, close: () => db.close() };
}

export type Store = ReturnType<typeof openStore>;
