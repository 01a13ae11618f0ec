import { create } from 'zustand';
import { applyThemePreference, readThemePreference, type ThemePreference } from '../lib/theme';

interface ThemeStore {
  preference: ThemePreference;
  setPreference(preference: ThemePreference): void;
  /** System → light → dark → system. */
  cycle(): void;
}

const ORDER: readonly ThemePreference[] = ['system', 'light', 'dark'];

export const useThemeStore = create<ThemeStore>()((set, get) => ({
  preference: readThemePreference(),
  setPreference(preference) {
    applyThemePreference(preference);
    set({ preference });
  },
  cycle() {
    const next = ORDER[(ORDER.indexOf(get().preference) + 1) % ORDER.length];
    get().setPreference(next);
  },
}));
