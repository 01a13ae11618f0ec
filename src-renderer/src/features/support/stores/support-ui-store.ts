import { create } from 'zustand';

interface SupportUiStore {
  status: '' | 'open' | 'answered' | 'closed';
  selected: string | null;
  /** The linked request whose record is open. */
  record: string | null;
  /** Unsent answers per ticket, so switching tickets loses nothing. */
  drafts: Record<string, string>;
  setStatus(status: SupportUiStore['status']): void;
  select(id: string | null): void;
  openRecord(requestId: string | null): void;
  setDraft(ticketId: string, text: string): void;
}

export const useSupportUiStore = create<SupportUiStore>()((set) => ({
  status: '',
  selected: null,
  record: null,
  drafts: {},
  setStatus: (status) => set({ status }),
  select: (selected) => set({ selected }),
  openRecord: (record) => set({ record }),
  setDraft: (ticketId, text) => set((s) => ({ drafts: { ...s.drafts, [ticketId]: text } })),
}));
