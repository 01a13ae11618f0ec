import { create } from 'zustand';
import type { RequestFilters } from '../api/usage-api';

export type UsageRange = '24h' | '7d' | '30d';

interface UsageUiStore {
  range: UsageRange;
  granularity: 'hour' | 'day';
  /** Applied to the request log and to the charts. */
  filters: RequestFilters;
  /** The request whose full record is open. */
  inspecting: string | null;
  setRange(range: UsageRange): void;
  setGranularity(granularity: 'hour' | 'day'): void;
  setFilters(filters: Partial<RequestFilters>): void;
  resetFilters(): void;
  inspect(id: string | null): void;
}

const NO_FILTERS: RequestFilters = { model: '', status: '', from: '', to: '' };

export const useUsageUiStore = create<UsageUiStore>()((set) => ({
  range: '24h',
  granularity: 'hour',
  filters: NO_FILTERS,
  inspecting: null,
  // A wider range reads better by day; the admin can still switch back to hours.
  setRange: (range) => set({ range, granularity: range === '24h' ? 'hour' : 'day' }),
  setGranularity: (granularity) => set({ granularity }),
  setFilters: (filters) => set((s) => ({ filters: { ...s.filters, ...filters } })),
  resetFilters: () => set({ filters: NO_FILTERS }),
  inspect: (inspecting) => set({ inspecting }),
}));
