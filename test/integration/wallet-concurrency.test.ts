import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startAzureFake, type AzureFake } from '../support/fakes/azure-openai.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { estimateChatPromptTokens } from '../../src-gateway/domain/token-estimate.js';
import { tokenCostMicros, tokenHoldMicros, EMPTY_USAGE, type ModelPrice } from '../../src-gateway/domain/pricing.js';

// gpt-4o-mini catalog prices in micro-USD per MTok (resources/catalog.json: 0.15 / 0.075 / 0.60 USD).
const GPT_4O_MINI: ModelPrice = {
  inputPerMtokMicros: 150_000,
  cachedInputPerMtokMicros: 75_000,
  cacheWritePerMtokMicros: null,
  outputPerMtokMicros: 600_000,
  perImageMicros: null,
  perSecondMicros: null,
  per1kCharsMicros: null,
};
const MODEL = 'gpt-4o-mini';
const MAX_TOKENS = 1_000;
type Message = { role: 'user'; content: string };
const ask = (content: string): Message[] => [{ role: 'user', content }];
/** The hold the gateway computes: the prompt estimate at the input rate + max_tokens at the output rate, rounded up. */
const holdFor = (messages: Message[], maxTokens = MAX_TOKENS) => tokenHoldMicros(estimateChatPromptTokens(messages), maxTokens, GPT_4O_MINI);
const words = (n: number, prefix = 'w') => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ');

interface LedgerRow {
  id: string;
  type: 'top_up' | 'hold' | 'capture' | 'release' | 'adjustment';
  amount_micros: number;
  balance_after_micros: number;
  locked_after_micros: number;
  request_id: string | null;
}
interface UsageRow {
  id: string;
  status: string;
  http_status: number | null;
  stream: boolean;
  cost_micros: number;
  hold_micros: number;
  completion_tokens: number;
  error_code: string | null;
}
interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}
type Outcome = 'ok' | '402' | 'aborted' | 'stream-error' | `unexpected: ${string}`;

async function allPages<T>(fetchPage: (query: Record<string, string | number>) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const page: Page<T> = await fetchPage(cursor ? { limit: 500, cursor } : { limit: 500 });
    out.push(...page.data);
    if (!page.has_more) return out;
    cursor = page.next_cursor;
  }
  throw new Error('too many pages');
}

function classify(err: unknown): Outcome {
  if (err instanceof OpenAI.APIUserAbortError) return 'aborted';
  if (err instanceof OpenAI.APIError && err.status === 402) {
    expect(err.code).toBe('insufficient_balance');
    expect(err.message).toContain('Wallet balance is not enough for this request.');
    return '402';
  }
  // An error event inside a 200 stream: the SDK raises an APIError without a status.
  if (err instanceof OpenAI.APIError && err.status === undefined && (err.error as { code?: string } | undefined)?.code === 'upstream_error') return 'stream-error';
  return `unexpected: ${err instanceof Error ? `${err.constructor.name} ${err.message}` : String(err)}`;
}

const count = <T>(items: T[], pred: (t: T) => boolean) => items.filter(pred).length;

describe('wallet under concurrent calls', () => {
  let fake: AzureFake;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startAzureFake({ chunkDelayMs: 40 });
    gw = await startTestGateway();
    await gw.addAzureDeployment(fake, { name: 'eastus-conc' });
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  /** A fresh account with a key, so every test audits a wallet of its own. */
  async function account(name: string): Promise<{ id: string; key: string; client: OpenAI }> {
    const created = await gw.admin('POST', '/admin/api/accounts', { name });
    const { key } = await gw.createKey({ name: `${name}-key`, account: name });
    return { id: created.id, key, client: gw.openai(key) };
  }

  /** Samples the wallet row and the active holds (pending usage rows) of an account on every tick while a burst runs. */
  function sampler(accountId: string) {
    const { db } = gw.gateway.store;
    const activeHolds = db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM requests WHERE account_id = ? AND status = 'pending'");
    const settledHolds = db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM requests WHERE account_id = ? AND status != 'pending' AND hold_micros > 0");
    const requestRows = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM requests WHERE account_id = ?');
    // `decidedBeforeFirstSettle`: calls held or refused while none had finished yet (how well the burst overlapped).
    const seen = { samples: 0, minBalance: Infinity, maxLocked: 0, maxActiveHolds: 0, decidedBeforeFirstSettle: 0, broken: [] as string[] };
    const timer = setInterval(() => {
      const w = gw.gateway.store.wallet.get(accountId);
      seen.samples++;
      seen.minBalance = Math.min(seen.minBalance, w.balanceMicros);
      seen.maxLocked = Math.max(seen.maxLocked, w.lockedMicros);
      seen.maxActiveHolds = Math.max(seen.maxActiveHolds, activeHolds.get(accountId)!.n);
      if (settledHolds.get(accountId)!.n === 0) seen.decidedBeforeFirstSettle = requestRows.get(accountId)!.n;
      if (w.lockedMicros < 0 || w.lockedMicros > w.balanceMicros) seen.broken.push(JSON.stringify(w));
    }, 1);
    return { seen, stop: () => clearInterval(timer) };
  }

  /**
   * Independent audit of one account from the client API: the ledger replayed row by row, the balance against
   * top-ups − captures, each request's hold/capture/release, the usage rows against the captures, and the doctor.
   */
  async function audit(client: OpenAI) {
    await expect.poll(async () => (await client.get<{ locked_micros: number }>('/wallet')).locked_micros, { timeout: 5_000 }).toBe(0);
    await expect
      .poll(async () => count(await allPages<UsageRow>((query) => client.get('/usage/requests', { query })), (r) => r.status === 'pending'), { timeout: 5_000 })
      .toBe(0);

    const ledger = (await allPages<LedgerRow>((query) => client.get('/wallet/transactions', { query }))).reverse(); // oldest first
    const wallet = await client.get<{ balance_micros: number; locked_micros: number; available_micros: number }>('/wallet');
    const usage = await allPages<UsageRow>((query) => client.get('/usage/requests', { query }));

    // Replay: every row moves the wallet by its own amount, and no state in the history breaks 0 ≤ locked ≤ balance.
    let balance = 0;
    let locked = 0;
    for (const row of ledger) {
      if (row.type === 'top_up') balance += row.amount_micros;
      else if (row.type === 'hold') locked += row.amount_micros;
      else if (row.type === 'release') locked -= row.amount_micros;
      else if (row.type === 'capture') {
        const fromHold = locked - row.locked_after_micros;
        expect(fromHold).toBeGreaterThanOrEqual(0);
        expect(fromHold).toBeLessThanOrEqual(row.amount_micros);
        balance -= row.amount_micros;
        locked -= fromHold;
      } else throw new Error(`unexpected ledger row ${row.type}`);
      expect(row.amount_micros).toBeGreaterThanOrEqual(0);
      expect([row.balance_after_micros, row.locked_after_micros]).toEqual([balance, locked]);
      expect(row.balance_after_micros).toBeGreaterThanOrEqual(0);
      expect(row.locked_after_micros).toBeGreaterThanOrEqual(0);
      expect(row.locked_after_micros).toBeLessThanOrEqual(row.balance_after_micros);
    }

    const sum = (type: LedgerRow['type']) => ledger.filter((r) => r.type === type).reduce((a, r) => a + r.amount_micros, 0);
    const topUps = sum('top_up');
    const captures = sum('capture');
    expect(wallet.balance_micros).toBe(topUps - captures);
    expect(wallet.locked_micros).toBe(0);
    expect(wallet.available_micros).toBe(wallet.balance_micros);

    // Per request: one hold, settled once; hold = capture + release (no call here costs more than its hold).
    const byRequest = new Map<string, LedgerRow[]>();
    for (const row of ledger) if (row.request_id) byRequest.set(row.request_id, [...(byRequest.get(row.request_id) ?? []), row]);
    const usageById = new Map(usage.map((u) => [u.id, u]));
    for (const [requestId, rows] of byRequest) {
      const of = (type: LedgerRow['type']) => rows.filter((r) => r.type === type);
      expect(of('hold'), requestId).toHaveLength(1);
      expect(of('capture').length, requestId).toBeLessThanOrEqual(1);
      expect(of('release').length, requestId).toBeLessThanOrEqual(1);
      expect(of('capture').length + of('release').length, requestId).toBeGreaterThanOrEqual(1);
      const held = of('hold')[0]!.amount_micros;
      const captured = of('capture')[0]?.amount_micros ?? 0;
      const released = of('release')[0]?.amount_micros ?? 0;
      expect(captured + released, requestId).toBe(held);
      const row = usageById.get(requestId);
      expect(row, `usage row of ${requestId}`).toBeDefined();
      expect(row!.cost_micros, requestId).toBe(captured);
    }
    // Refused calls (402) have a usage row and no ledger row at all.
    for (const row of usage.filter((u) => u.http_status === 402)) {
      expect(row).toMatchObject({ status: 'error', error_code: 'insufficient_balance', cost_micros: 0 });
      expect(byRequest.has(row.id)).toBe(false);
    }
    expect(usage.reduce((a, u) => a + u.cost_micros, 0)).toBe(captures);

    const doctor = await gw.admin('GET', '/admin/api/doctor');
    expect(doctor).toMatchObject({ ledger_ok: true, violations: {} });
    return { ledger, wallet, usage, byRequest, topUps, captures, holds: ledger.filter((r) => r.type === 'hold') };
  }

  it('computes the same hold as the gateway (read back from the ledger)', async () => {
    fake.setOptions({ reply: undefined, firstByteDelayMs: 0 });
    await gw.topUp(1_000_000);
    const messages = ask('How much does this cost?');
    const { response } = await gw.openai((await gw.createKey()).key).chat.completions.create({ model: MODEL, messages, max_tokens: MAX_TOKENS }).withResponse();
    const requestId = response.headers.get('x-omixa-request-id')!;
    const ledger = await gw.admin('GET', '/admin/api/accounts/default/transactions');
    const holdRow = ledger.data.find((t: LedgerRow) => t.request_id === requestId && t.type === 'hold');
    expect(holdRow.amount_micros).toBe(holdFor(messages));
    expect(holdRow.amount_micros).toBeGreaterThan(600); // max_tokens alone is 1000 × 0.6 micro
  });

  it('50 parallel streaming calls on a wallet that covers exactly 10 holds: 10 succeed, 40 get 402', async () => {
    const messages = ask('Tell me something worth exactly one hold.');
    const H = holdFor(messages);
    // The upstream reports the largest usage the hold allows (the prompt estimate and every max_tokens token), so each
    // success uses up its whole hold (cost = H or H − 1 after rounding) and no ordering of the calls lets an 11th through.
    const worstCase = { ...EMPTY_USAGE, promptTokens: estimateChatPromptTokens(messages), completionTokens: MAX_TOKENS };
    const cost = tokenCostMicros(worstCase, GPT_4O_MINI);
    expect(H - cost).toBeGreaterThanOrEqual(0);
    expect(H - cost).toBeLessThanOrEqual(1);
    fake.setOptions({ chunkDelayMs: 40, firstByteDelayMs: 0, reply: () => ({ content: words(10), usage: { prompt_tokens: worstCase.promptTokens, completion_tokens: MAX_TOKENS } }) });

    const acct = await account('conc-exact');
    await gw.topUp(10 * H, acct.id);
    const probe = sampler(acct.id);
    const started = performance.now();
    const finishedAt: number[] = [];
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, async (): Promise<Outcome> => {
        try {
          const stream = await acct.client.chat.completions.create({ model: MODEL, messages, max_tokens: MAX_TOKENS, stream: true });
          let text = '';
          for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
          expect(text).toBe(words(10));
          finishedAt.push(performance.now() - started);
          return 'ok';
        } catch (err) {
          return classify(err);
        }
      }),
    );
    probe.stop();

    expect(count(outcomes, (o) => o === 'ok')).toBe(10);
    expect(count(outcomes, (o) => o === '402')).toBe(40);
    // The streams overlapped: each takes ~14 × 40 ms upstream, and all 10 were still running together.
    expect(Math.min(...finishedAt)).toBeGreaterThan(400);
    expect(probe.seen.maxActiveHolds).toBe(10);
    expect(probe.seen.maxLocked).toBe(10 * H);
    expect(probe.seen.minBalance).toBeGreaterThanOrEqual(0);
    expect(probe.seen.broken).toEqual([]);

    const { wallet, holds, captures, topUps, usage } = await audit(acct.client);
    expect(topUps).toBe(10 * H);
    expect(holds).toHaveLength(10);
    expect(holds.every((h) => h.amount_micros === H)).toBe(true);
    expect(captures).toBe(10 * cost);
    expect(wallet.balance_micros).toBe(10 * H - 10 * cost);
    expect(count(usage, (u) => u.status === 'ok')).toBe(10);
    expect(count(usage, (u) => u.http_status === 402)).toBe(40);
  });

  it('50 parallel calls that overlap in time on a 10-hold wallet: at most 10 succeed even though each costs little', async () => {
    const messages = ask('A cheap question.');
    const H = holdFor(messages);
    // Cheap usage (~10 micro-USD against a ~600 micro hold): a finished call frees most of its hold, so only calls that
    // overlap in time compete. The upstream waits 4 s before answering, so all 50 are in flight together.
    fake.setOptions({ firstByteDelayMs: 4_000, reply: () => ({ content: 'short answer', usage: { prompt_tokens: 12, completion_tokens: 3 } }) });
    const cheap = tokenCostMicros({ ...EMPTY_USAGE, promptTokens: 12, completionTokens: 3 }, GPT_4O_MINI);
    expect(cheap).toBeLessThan(H / 20);

    const acct = await account('conc-overlap');
    await gw.topUp(10 * H, acct.id);
    const probe = sampler(acct.id);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, async (_, i): Promise<Outcome> => {
        try {
          if (i % 2 === 0) {
            const completion = await acct.client.chat.completions.create({ model: MODEL, messages, max_tokens: MAX_TOKENS });
            expect(completion.choices[0]!.message.content).toBe('short answer');
          } else {
            const stream = await acct.client.chat.completions.create({ model: MODEL, messages, max_tokens: MAX_TOKENS, stream: true });
            for await (const _chunk of stream) {
              // drain
            }
          }
          return 'ok';
        } catch (err) {
          return classify(err);
        }
      }),
    );
    probe.stop();
    fake.setOptions({ firstByteDelayMs: 0 });

    const ok = count(outcomes, (o) => o === 'ok');
    expect(outcomes.filter((o) => o !== 'ok' && o !== '402')).toEqual([]);
    // The premise: every call was held or refused before the first one finished (else a freed hold may admit an 11th).
    expect(probe.seen.decidedBeforeFirstSettle, 'the 50 calls did not overlap in time; the machine is too slow for this test').toBe(50);
    expect(ok).toBeLessThanOrEqual(10);
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(count(outcomes, (o) => o === '402')).toBe(50 - ok);
    expect(probe.seen.maxActiveHolds).toBeLessThanOrEqual(10);
    expect(probe.seen.maxLocked).toBeLessThanOrEqual(10 * H);
    expect(probe.seen.minBalance).toBeGreaterThanOrEqual(0);
    expect(probe.seen.broken).toEqual([]);

    const { wallet, holds, captures } = await audit(acct.client);
    expect(holds).toHaveLength(ok);
    expect(captures).toBe(ok * cheap);
    expect(wallet.balance_micros).toBe(10 * H - ok * cheap);
  });

  it('mixed parallel streaming, non-streaming, client aborts, mid-stream failures and refusals keep the ledger sound', async () => {
    fake.setOptions({
      chunkDelayMs: 30,
      firstByteDelayMs: 150,
      reply: (req) => {
        const text = String(req.body?.messages?.[0]?.content ?? '');
        if (text.startsWith('stream-fail')) return { content: words(20, 'f'), failAfterEvents: 6 };
        // The calls the client aborts never finish on their own, however slow the machine: the upstream goes silent.
        if (text.startsWith('stream-abort')) return { content: words(60, 'a'), stallAfterEvents: 10 };
        if (text.startsWith('json-abort')) return { stallAfterEvents: 0 };
        return { content: words(8, 'x') };
      },
    });
    const acct = await account('conc-mixed');
    const abortedBefore = fake.aborted;

    type Kind = 'stream' | 'stream-usage' | 'json' | 'stream-abort' | 'json-abort' | 'stream-fail' | 'greedy';
    const plan: { kind: Kind; messages: Message[]; maxTokens: number }[] = [];
    const add = (kind: Kind, n: number, maxTokens = MAX_TOKENS) => {
      for (let i = 0; i < n; i++) plan.push({ kind, messages: ask(`${kind} call number ${i}`), maxTokens });
    };
    add('stream', 5);
    add('stream-usage', 5);
    add('json', 10);
    add('stream-abort', 8);
    add('json-abort', 4);
    add('stream-fail', 4);
    add('greedy', 4, 1_000_000); // a hold of ~600,000 micro-USD: more than the whole wallet, always refused
    // Exactly enough for every call but the greedy ones, were they all to hold at once.
    const budget = plan.filter((p) => p.kind !== 'greedy').reduce((a, p) => a + holdFor(p.messages, p.maxTokens), 0);
    expect(Math.min(...plan.filter((p) => p.kind === 'greedy').map((p) => holdFor(p.messages, p.maxTokens)))).toBeGreaterThan(budget);
    await gw.topUp(budget, acct.id);

    const probe = sampler(acct.id);
    const waitUntil = async (what: string, cond: () => boolean, ms = 5_000) => {
      const deadline = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };

    const outcomes = await Promise.all(
      plan.map(async ({ kind, messages, maxTokens }): Promise<Outcome> => {
        const controller = new AbortController();
        const base = { model: MODEL, messages, max_tokens: maxTokens };
        try {
          if (kind === 'json' || kind === 'greedy' || kind === 'json-abort') {
            if (kind === 'json-abort') {
              // Abort once the upstream has the request (and is still thinking: it never answers these).
              const marker = messages[0]!.content;
              void waitUntil(marker, () => fake.requests.some((r) => r.body?.messages?.[0]?.content === marker)).then(() => controller.abort(), () => controller.abort());
            }
            const completion = await acct.client.chat.completions.create(base, { signal: controller.signal });
            expect(completion.choices[0]!.message.content).toBe(words(8, 'x'));
            return 'ok';
          }
          const stream = await acct.client.chat.completions.create(
            { ...base, stream: true, ...(kind === 'stream-usage' ? { stream_options: { include_usage: true } } : {}) },
            { signal: controller.signal },
          );
          let pieces = 0;
          let sawUsage = false;
          for await (const chunk of stream) {
            if (chunk.choices[0]?.delta?.content) pieces++;
            if (chunk.usage) sawUsage = true;
            if (kind === 'stream-abort' && pieces === 3) controller.abort();
          }
          // The SDK ends the iteration quietly when the caller aborts.
          if (controller.signal.aborted) return 'aborted';
          expect(pieces).toBe(8);
          expect(sawUsage).toBe(kind === 'stream-usage');
          return 'ok';
        } catch (err) {
          return classify(err);
        }
      }),
    );
    probe.stop();
    fake.setOptions({ firstByteDelayMs: 0, chunkDelayMs: 40, reply: undefined });

    const expected: Record<Kind, Outcome> = { stream: 'ok', 'stream-usage': 'ok', json: 'ok', 'stream-abort': 'aborted', 'json-abort': 'aborted', 'stream-fail': 'stream-error', greedy: '402' };
    expect(outcomes).toEqual(plan.map((p) => expected[p.kind]));
    expect(probe.seen.minBalance).toBeGreaterThanOrEqual(0);
    expect(probe.seen.maxLocked).toBeLessThanOrEqual(budget);
    expect(probe.seen.broken).toEqual([]);
    await expect.poll(() => fake.aborted - abortedBefore, { timeout: 5_000 }).toBe(8);

    const { usage, holds, captures, wallet } = await audit(acct.client);
    // Every call but the greedy ones held exactly what the gateway's own formula gives, once.
    expect(holds).toHaveLength(36);
    expect(holds.reduce((a, h) => a + h.amount_micros, 0)).toBe(budget);
    expect(wallet.balance_micros).toBe(budget - captures);

    const statuses = (pred: (u: UsageRow) => boolean) => usage.filter(pred);
    expect(statuses((u) => u.status === 'ok')).toHaveLength(20);
    expect(statuses((u) => u.http_status === 402)).toHaveLength(4);
    const cancelled = statuses((u) => u.status === 'cancelled');
    expect(cancelled).toHaveLength(12);
    // Aborted streams are billed for what was generated; aborted JSON calls got nothing and cost nothing.
    const cancelledStreams = cancelled.filter((u) => u.stream);
    expect(cancelledStreams).toHaveLength(8);
    for (const u of cancelledStreams) {
      expect(u).toMatchObject({ http_status: 499, error_code: 'client_closed' });
      expect(u.completion_tokens).toBeGreaterThan(0);
      expect(u.completion_tokens).toBeLessThan(60);
      expect(u.cost_micros).toBeGreaterThan(0);
    }
    for (const u of cancelled.filter((c) => !c.stream)) expect(u).toMatchObject({ http_status: 499, cost_micros: 0, completion_tokens: 0 });
    // Streams that broke after the first byte end with an error: their tokens are on the row, and they cost nothing.
    const broken = statuses((u) => u.status === 'error' && u.error_code === 'upstream_error');
    expect(broken).toHaveLength(4);
    for (const u of broken) {
      expect(u.stream).toBe(true);
      expect(u.completion_tokens).toBeGreaterThan(0);
      expect(u.completion_tokens).toBeLessThan(20);
      expect(u.cost_micros).toBe(0);
    }
  });
});
