import { create } from 'zustand';

/** A key just created: shown once, then dropped. */
export interface RevealedKey {
  id: string;
  name: string;
  key: string;
}

interface KeysUiStore {
  creating: boolean;
  revealed: RevealedKey | null;
  revoking: { id: string; name: string } | null;
  showRevoked: boolean;
  setCreating(creating: boolean): void;
  reveal(key: RevealedKey): void;
  /** Forgets the key for good: after this nothing in the app can show it again. */
  forget(): void;
  askRevoke(key: { id: string; name: string } | null): void;
  setShowRevoked(show: boolean): void;
}

export const useKeysUiStore = create<KeysUiStore>()((set) => ({
  creating: false,
  revealed: null,
  revoking: null,
  showRevoked: false,
  setCreating: (creating) => set({ creating }),
  reveal: (revealed) => set({ revealed, creating: false }),
  forget: () => set({ revealed: null }),
  askRevoke: (revoking) => set({ revoking }),
  setShowRevoked: (showRevoked) => set({ showRevoked }),
}));
