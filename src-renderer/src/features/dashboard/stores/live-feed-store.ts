import { create } from 'zustand';
import type { UsageRecord } from '../../../types/gateway';
import type { JobEvent } from '../api/stream-events';

export type FeedConnection = 'connecting' | 'live' | 'reconnecting';

const KEEP = 100;

interface LiveFeedStore {
  connection: FeedConnection;
  /** Newest first, at most 100. */
  requests: UsageRecord[];
  /** Media jobs seen on the feed, latest state each, most recently changed first, at most 20. */
  jobs: JobEvent[];
  pushJob(job: JobEvent): void;
  /** Bumped on every event, so panels that summarise the day know to refresh. */
  version: number;
  setConnection(connection: FeedConnection): void;
  push(record: UsageRecord): void;
  /** Merges rows fetched from the request log (newest first) with what the feed already has. */
  seed(records: UsageRecord[]): void;
}

/** The dashboard's live request feed; kept across page visits so the list is not empty on return. */
export const useLiveFeedStore = create<LiveFeedStore>()((set) => ({
  connection: 'connecting',
  requests: [],
  jobs: [],
  version: 0,
  pushJob: (job) => set((state) => ({ jobs: [job, ...state.jobs.filter((j) => j.id !== job.id)].slice(0, 20) })),
  setConnection: (connection) => set({ connection }),
  push: (record) =>
    set((state) => ({
      requests: [record, ...state.requests.filter((r) => r.id !== record.id)].slice(0, KEEP),
      version: state.version + 1,
    })),
  seed: (records) =>
    set((state) => {
      const known = new Set(state.requests.map((r) => r.id));
      // Both lists are newest first; a stable sort keeps that order within one second.
      const merged = [...state.requests, ...records.filter((r) => !known.has(r.id))].sort((a, b) => b.created_at - a.created_at);
      return { requests: merged.slice(0, KEEP) };
    }),
}));
