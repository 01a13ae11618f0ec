import { describe, expect, it } from 'vitest';
import { useLiveFeedStore } from '../../../src-renderer/src/features/dashboard/stores/live-feed-store';
import type { JobEvent } from '../../../src-renderer/src/features/dashboard/api/stream-events';

const job = (id: string, status: string): JobEvent => ({
  id,
  kind: 'video',
  model: 'sora-2',
  status,
  progress: null,
  account_name: 'default',
  preview_url: null,
  cost_micros: 0,
  updated_at: '2026-11-27T00:00:00Z',
});

describe('dashboard live feed: media jobs', () => {
  it('keeps the latest state of each job, most recently changed first, at most 20', () => {
    const { pushJob } = useLiveFeedStore.getState();
    pushJob(job('job_vid_a', 'queued'));
    pushJob(job('job_vid_b', 'queued'));
    pushJob(job('job_vid_a', 'completed'));
    expect(useLiveFeedStore.getState().jobs.map((j) => [j.id, j.status])).toEqual([
      ['job_vid_a', 'completed'],
      ['job_vid_b', 'queued'],
    ]);
    for (let i = 0; i < 30; i++) pushJob(job(`job_vid_${i}`, 'queued'));
    expect(useLiveFeedStore.getState().jobs).toHaveLength(20);
    expect(useLiveFeedStore.getState().jobs[0]!.id).toBe('job_vid_29');
  });
});
