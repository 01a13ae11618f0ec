import type { Db } from './connection.js';

export type SettingsRepository = ReturnType<typeof createSettingsRepository>;

/** Small key/value settings the admin changes at run time (never secrets). */
export function createSettingsRepository(db: Db) {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const set = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const all = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings ORDER BY key');
  return {
    get: (key: string): string | undefined => get.get(key)?.value,
    set: (key: string, value: string): void => {
      set.run(key, value);
    },
    all: (): Record<string, string> => Object.fromEntries(all.all().map((r) => [r.key, r.value])),
  };
}
