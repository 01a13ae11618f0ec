import { create } from 'zustand';

interface WalletUiStore {
  /** The account whose wallet and ledger are open. */
  selected: string | null;
  creatingAccount: boolean;
  select(id: string | null): void;
  setCreatingAccount(open: boolean): void;
}

export const useWalletUiStore = create<WalletUiStore>()((set) => ({
  selected: null,
  creatingAccount: false,
  select: (selected) => set({ selected }),
  setCreatingAccount: (creatingAccount) => set({ creatingAccount }),
}));
