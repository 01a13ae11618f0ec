import { afterEach, describe, expect, it } from 'vitest';
import { startAzureFake, type AzureFake, type AzureFakeOptions } from '../support/fakes/azure-openai.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

// API.md §5: "An upstream failure before the first byte fails over; after it, the stream ends with an error event."
// The gateway takes a streamed answer at its first body bytes, not at its headers, and waits for them at most until
// the first heartbeat is due.

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!();
});

async function setup(fakes: AzureFakeOptions[], env: Record<string, string> = {}): Promise<{ gw: TestGateway; fakes: AzureFake[]; key: string }> {
  const started: AzureFake[] = [];
  for (const options of fakes) {
    const fake = await startAzureFake({ chunkDelayMs: 5, ...options });
    started.push(fake);
    open.push(() => fake.close());
  }
  const gw = await startTestGateway({ env });
  open.push(() => gw.close());
  for (const [i, fake] of started.entries()) await gw.addAzureDeployment(fake, { name: `d${i}`, priority: i });
  await gw.topUp(100_000_000);
  const { key } = await gw.createKey();
  return { gw, fakes: started, key };
}

/** A streamed call read with fetch: when each part of the body arrived, in ms from the request. */
async function streamTimed(gw: TestGateway, key: string) {
  const startedAt = performance.now();
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'one two three' }] }),
  });
  const decoder = new TextDecoder();
  let text = '';
  const arrivals: { at: number; text: string }[] = [];
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    const chunk = decoder.decode(part, { stream: true });
    arrivals.push({ at: performance.now() - startedAt, text: chunk });
    text += chunk;
  }
  const at = (pattern: RegExp) => arrivals.find((a) => pattern.test(a.text))?.at ?? Infinity;
  return { res, text, firstByteAt: arrivals[0]?.at ?? Infinity, firstDataAt: at(/^data: /m), id: res.headers.get('x-omixa-request-id')! };
}

describe('a streamed answer is taken at its first byte', () => {
  it('fails over a stream whose upstream answers 200 and breaks before its first event, and bills the answer once', async () => {
    const { gw, fakes, key } = await setup([{ reply: () => ({ failAfterEvents: 0 }) }, {}]);
    const before = await gw.wallet();
    const { data: stream, response } = await gw.openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], stream: true }).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Echo: hello there');
    expect(fakes.map((f) => f.requests.length)).toEqual([1, 1]);

    const row = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
    expect(row).toMatchObject({ status: 'ok', attempts: 2, deployment_name: 'd1' });
    expect(row.cost_micros).toBeGreaterThan(0);
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(row.cost_micros);
    expect(after.locked_micros).toBe(0);
    const d0 = (await gw.admin('GET', '/admin/api/deployments/d0')).health;
    expect(d0.last_error).toContain('before its first byte');
    expect(d0.consecutive_failures).toBe(1);
  });

  it('answers 502 when every deployment breaks before the first byte, and charges nothing', async () => {
    const { gw, fakes, key } = await setup([{ reply: () => ({ failAfterEvents: 0 }) }, { reply: () => ({ failAfterEvents: 0 }) }]);
    const before = await gw.wallet();
    const err = await gw
      .openai(key)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: true })
      .catch((e: unknown) => e as { status?: number; code?: string; message?: string });
    expect(err).toMatchObject({ status: 502, code: 'upstream_error' });
    expect((err as Error).message).toContain('before its first byte');
    expect(fakes.map((f) => f.requests.length)).toEqual([1, 1]);
    expect(await gw.wallet()).toEqual(before);
  });

  it('sends the head and padding of a silent upstream at the first heartbeat, heartbeats, then events as they come', async () => {
    const { gw, fakes, key } = await setup([{ reply: () => ({ firstEventDelayMs: 900 }) }, {}], { AZURE_STREAM_HEARTBEAT_SECONDS: '0.25' });
    const { res, text, firstByteAt, firstDataAt } = await streamTimed(gw, key);
    expect(res.status).toBe(200);
    // Nothing before the heartbeat is due, then the padding; the first event only when the upstream sends it.
    expect(firstByteAt).toBeGreaterThanOrEqual(200);
    expect(firstByteAt).toBeLessThan(800);
    expect(firstDataAt).toBeGreaterThanOrEqual(850);
    expect(firstDataAt - firstByteAt).toBeGreaterThan(300);
    const beforeFirstEvent = text.slice(0, text.indexOf('data: '));
    expect(beforeFirstEvent.startsWith(':')).toBe(true);
    expect(beforeFirstEvent.match(/^: keep-alive$/gm)?.length ?? 0).toBeGreaterThanOrEqual(1);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(fakes[1]!.requests).toHaveLength(0);
  });

  it('does not fail over once the head has left at the first heartbeat: a later break ends the stream with an error event, at no cost', async () => {
    const { gw, fakes, key } = await setup([{ reply: () => ({ firstEventDelayMs: 700, failAfterEvents: 0 }) }, {}], { AZURE_STREAM_HEARTBEAT_SECONDS: '0.2' });
    const before = await gw.wallet();
    const { res, text, firstByteAt, id } = await streamTimed(gw, key);
    expect(res.status).toBe(200);
    expect(firstByteAt).toBeLessThan(650);
    expect(text).toContain('"code":"upstream_error"');
    expect(text).not.toContain('[DONE]');
    expect(fakes[1]!.requests).toHaveLength(0);
    const row = await gw.admin('GET', `/admin/api/usage/requests/${id}`);
    expect(row).toMatchObject({ status: 'error', error_code: 'upstream_error', attempts: 1, cost_micros: 0 });
    expect(await gw.wallet()).toEqual(before);
  });
});
