import { beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';

describe('support tickets', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;
  let otherKey: string;
  let requestId: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({ topUpMicros: 1_000_000 });
    ({ fake, gw, key } = setup);
    await gw.admin('POST', '/admin/api/accounts', { name: 'other' });
    otherKey = (await gw.createKey({ account: 'other' })).key;
    const { response } = await gw.openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    requestId = response.headers.get('x-omixa-request-id')!;
    return setup.close;
  });

  it('lets a client open a ticket about its own request and the admin answer and close it', async () => {
    const client = gw.openai(key);
    const created = await client.post<Record<string, any>>('/support/tickets', { body: { subject: 'Odd answer', body: 'Why this reply?', request_ids: [requestId] } });
    expect(created).toMatchObject({ subject: 'Odd answer', status: 'open', request_ids: [requestId] });
    expect(created.id).toMatch(/^tkt_/);

    const detail = await gw.admin('GET', `/admin/api/tickets/${created.id}`);
    expect(detail.requests[0].usage).toMatchObject({ id: requestId, model: 'gpt-4o-mini', status: 'ok' });
    expect(detail.requests[0].ledger.map((l: { type: string }) => l.type)).toContain('capture');
    expect(JSON.stringify(detail)).not.toContain('azure-secret-1');

    const answered = await gw.admin('POST', `/admin/api/tickets/${created.id}/replies`, { body: 'It echoes.' });
    expect(answered.status).toBe('answered');
    const seen = await client.get<Record<string, any>>(`/support/tickets/${created.id}`);
    expect(seen.messages.map((m: { author: string }) => m.author)).toEqual(['client', 'admin']);
    const closed = await gw.admin('POST', `/admin/api/tickets/${created.id}/close`);
    expect(closed.status).toBe('closed');
    const list = await client.get<{ data: { id: string }[] }>('/support/tickets');
    expect(list.data.map((t) => t.id)).toContain(created.id);
  });

  it("refuses to link another account's request and hides other accounts' tickets", async () => {
    const other = gw.openai(otherKey);
    const err = await other.post('/support/tickets', { body: { subject: 's', body: 'b', request_ids: [requestId] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('request_ids[0]');
    const mine = await gw.openai(key).post<{ id: string }>('/support/tickets', { body: { subject: 'mine', body: 'b' } });
    const notFound = await other.get(`/support/tickets/${mine.id}`).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    const missingSubject = await other.post('/support/tickets', { body: { body: 'b' } }).catch((e: unknown) => e);
    expect((missingSubject as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('subject');
  });
});
