import { create } from 'zustand';
import type { UsageRecord } from '../../../types/gateway';

export type FeedConnection = 'connecting' | 'live' | 'reconnecting';

const KEEP = 100;

interface LiveFeedStore {
  connection: FeedConnection;
  /** Newest first, at most 100. */
  requests: UsageRecord[];
  /** Bumped on every event, so panels that summarise the day know to refresh. */
  version: number;
  setConnection(connection: FeedConnection): void;
  push(record: UsageRecord): void;
}

/** The dashboard's live request feed; kept across page visits so the list is not empty on return. */
export const useLiveFeedStore = create<LiveFeedStore>()((set) => ({
  connection: 'connecting',
  requests: [],
  version: 0,
  setConnection: (connection) => set({ connection }),
  push: (record) =>
    set((state) => ({
      requests: [record, ...state.requests.filter((r) => r.id !== record.id)].slice(0, KEEP),
      version: state.version + 1,
    })),
}));
