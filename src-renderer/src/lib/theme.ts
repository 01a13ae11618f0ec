/** Theme preference: follow the OS (`prefers-color-scheme`) or force light / dark. */
export type ThemePreference = 'system' | 'light' | 'dark';

const STORAGE_KEY = 'omixa.theme';

export function readThemePreference(): ThemePreference {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored === 'light' || stored === 'dark' ? stored : 'system';
  } catch {
    return 'system';
  }
}

/** Stores the preference and applies it as `data-theme` on `<html>` (absent = follow the OS). */
export function applyThemePreference(preference: ThemePreference): void {
  try {
    if (preference === 'system') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, preference);
  } catch {
    // Storage may be unavailable (private mode): the choice then lasts for this page only.
  }
  if (preference === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = preference;
}
