import diagnostics from 'node:diagnostics_channel';

/** Where a chat call stands, for profilers (`bench/gateway.ts` collects them into the stage table of `bench/RESULTS.md`). */
export type ChatMilestone = 'validated' | 'held' | 'streaming';

export interface ChatMilestoneEvent {
  reqId: string;
  milestone: ChatMilestone;
  /** `performance.now()` when it was reached. */
  at: number;
}

/**
 * Milestones of chat calls on the `omixa:chat` diagnostics channel, next to Node's `http.server.*` and undici's
 * `undici:request:*` channels: together they tell where a call's time goes. Free when nobody subscribes.
 */
export const CHAT_CHANNEL = 'omixa:chat';
const channel = diagnostics.channel(CHAT_CHANNEL);

export function chatMilestone(reqId: string, milestone: ChatMilestone): void {
  if (channel.hasSubscribers) channel.publish({ reqId, milestone, at: performance.now() } satisfies ChatMilestoneEvent);
}
