import { create } from 'zustand';
import type { MediaKind } from '../api/media-api';

interface MediaUiStore {
  kind: MediaKind;
  /** The file open in the viewer. */
  open: string | null;
  setKind(kind: MediaKind): void;
  setOpen(id: string | null): void;
}

export const useMediaUiStore = create<MediaUiStore>()((set) => ({
  kind: '',
  open: null,
  setKind: (kind) => set({ kind }),
  setOpen: (open) => set({ open }),
}));
