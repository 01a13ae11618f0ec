import { beforeAll, describe, expect, it } from 'vitest';
import type { AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';

/** Admin endpoints added for the desktop UI (src-gateway/routes/admin-ui-routes.ts) and what the UI relies on. */
describe('admin API for the UI', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({
      fake: { deployments: ['gpt-4o-mini', 'gpt-image-1'] },
      deployments: [{}, { name: 'img', model: 'gpt-image-1', deployment: 'gpt-image-1' }],
    });
    ({ fake, gw, key } = setup);
    return setup.close;
  });

  const generate = async () => {
    const res = await fetch(`${gw.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-image-1', prompt: 'a lighthouse', response_format: 'url' }),
    });
    expect(res.status).toBe(200);
    return { requestId: res.headers.get('x-omixa-request-id')!, body: (await res.json()) as { data: { url: string }[] } };
  };

  it('lists generated media newest first with the request that made each file, paginated by cursor', async () => {
    expect(await gw.admin('GET', '/admin/api/media')).toMatchObject({ object: 'list', data: [], has_more: false, next_cursor: null });
    const first = await generate();
    const second = await generate();

    const page1 = await gw.admin('GET', '/admin/api/media?limit=1');
    expect(page1.data).toHaveLength(1);
    expect(page1.has_more).toBe(true);
    expect(page1.data[0]).toMatchObject({ content_type: 'image/png', model: 'gpt-image-1', endpoint: 'images.generations', request_id: second.requestId, account_name: 'default' });
    expect(page1.data[0].url).toBe(`/files/${page1.data[0].id}`);
    expect(second.body.data[0].url).toContain(page1.data[0].id);

    const page2 = await gw.admin('GET', `/admin/api/media?limit=1&cursor=${page1.next_cursor}`);
    expect(page2.data.map((m: { request_id: string }) => m.request_id)).toEqual([first.requestId]);
    expect(page2.has_more).toBe(false);

    const file = await fetch(`${gw.url}${page1.data[0].url}`);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect((await file.arrayBuffer()).byteLength).toBe(page1.data[0].size_bytes);
  });

  it('filters by kind and account, and refuses bad filters, client keys and bad cursors', async () => {
    expect((await gw.admin('GET', '/admin/api/media?kind=audio')).data).toEqual([]);
    expect((await gw.admin('GET', '/admin/api/media?kind=image')).data.length).toBeGreaterThan(0);
    expect((await gw.admin('GET', '/admin/api/media?account=default')).data.length).toBeGreaterThan(0);
    await expect(gw.admin('GET', '/admin/api/media?kind=pdf')).rejects.toMatchObject({ status: 400 });
    await expect(gw.admin('GET', '/admin/api/media?account=nobody')).rejects.toMatchObject({ status: 404 });
    await expect(gw.admin('GET', '/admin/api/media?cursor=zzz')).rejects.toMatchObject({ status: 400 });
    const asClient = await fetch(`${gw.url}/admin/api/media`, { headers: { authorization: `Bearer ${key}` } });
    expect(asClient.status).toBe(401);
  });

  it('lets the desktop origin read streamed answers and their request id (CORS on hijacked replies)', async () => {
    const token = gw.adminToken;
    const res = await fetch(`${gw.url}/playground/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin: 'app://omixa' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('app://omixa');
    expect(res.headers.get('access-control-expose-headers')).toBe('x-omixa-request-id');
    expect(res.headers.get('x-omixa-request-id')).toMatch(/^req_/);
    await res.text();
  });
});
