import { create } from 'zustand';

interface CatalogUiStore {
  search: string;
  modality: string;
  servedOnly: boolean;
  /** The model whose prices are being edited. */
  editing: string | null;
  notice: string | null;
  setSearch(search: string): void;
  setModality(modality: string): void;
  setServedOnly(servedOnly: boolean): void;
  edit(modelId: string | null): void;
  setNotice(notice: string | null): void;
}

export const useCatalogUiStore = create<CatalogUiStore>()((set) => ({
  search: '',
  modality: '',
  servedOnly: false,
  editing: null,
  notice: null,
  setSearch: (search) => set({ search }),
  setModality: (modality) => set({ modality }),
  setServedOnly: (servedOnly) => set({ servedOnly }),
  edit: (editing) => set({ editing }),
  setNotice: (notice) => set({ notice }),
}));
