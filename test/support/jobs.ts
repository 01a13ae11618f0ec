import type OpenAI from 'openai';
import type { TestGateway } from './gateway.js';

/** A job as the gateway answers it. */
export type JobView = Record<string, any> & { id: string; status: string };

/** One observation of a job while polling it. */
export interface Seen {
  status: string;
  at: number;
  progress?: number;
}

export const TERMINAL = ['completed', 'failed', 'cancelled', 'expired'];

/**
 * Polls `GET {path}/{id}` with the SDK every `everyMs` until the job is terminal; returns the final view and every
 * status seen with its time (so tests can check the order and the spacing of the lifecycle).
 */
export async function pollJob(client: OpenAI, path: string, id: string, { everyMs = 25, timeoutMs = 15_000 } = {}): Promise<{ job: JobView; seen: Seen[] }> {
  const seen: Seen[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.get<JobView>(`${path}/${id}`);
    seen.push({ status: job.status, at: Date.now(), progress: job.progress });
    if (TERMINAL.includes(job.status)) return { job, seen };
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The distinct statuses in the order they were first seen. */
export function statusOrder(seen: readonly Seen[]): string[] {
  const out: string[] = [];
  for (const s of seen) if (out[out.length - 1] !== s.status) out.push(s.status);
  return out;
}

/** The ledger rows of one request id for an account, oldest first. */
export async function ledgerOf(gw: TestGateway, requestId: string, account = 'default'): Promise<{ type: string; amount_micros: number }[]> {
  const page = await gw.admin<{ data: { type: string; amount_micros: number; request_id: string | null }[] }>('GET', `/admin/api/accounts/${account}/transactions?limit=500`);
  return page.data.filter((r) => r.request_id === requestId).reverse();
}
