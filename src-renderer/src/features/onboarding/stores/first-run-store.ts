import { create } from 'zustand';
import { persist } from 'zustand/middleware';

interface FirstRunStore {
  /** The admin closed the guide after finishing it (kept in this browser profile). */
  dismissed: boolean;
  dismiss(): void;
}

export const useFirstRunStore = create<FirstRunStore>()(
  persist((set) => ({ dismissed: false, dismiss: () => set({ dismissed: true }) }), { name: 'omixa.first-run' }),
);
