import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** Path of the better-sqlite3 native binding, for the Electron build which needs its own. */
  nativeBinding?: string;
  readonly?: boolean;
}

/** Opens (creating if needed) the SQLite database in WAL mode and applies pending migrations. */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file, { readonly: options.readonly === true, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
  db.pragma('synchronous = NORMAL');
  // Sub-journals (the savepoints of a group commit) and temp b-trees stay in memory: with the default they spill to a
  // temp file created and unlinked every few billed calls. Temp files never take part in crash recovery.
  db.pragma('temp_store = MEMORY');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) migrate(db, MIGRATIONS);
  return db;
}

/** Applies every migration newer than `user_version`, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[]): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  let applied = 0;
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
    applied++;
  }
  return applied;
}

/** SQLite's per-connection counter that changes when another connection commits: cheap change detection for the CLI. */
export function dataVersion(db: Db): number {
  return db.pragma('data_version', { simple: true }) as number;
}
