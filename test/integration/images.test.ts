import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFile } from 'openai';
import { apiError } from '../support/api-errors.js';
import type { AzureFake } from '../support/fakes/azure-openai.js';
import { makePng } from '../support/fakes/media-bytes.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';

// Catalog prices: gpt-image-1 0.042 USD per image, dall-e-3 0.040.
const GPT_IMAGE = 42_000;
const DALL_E_3 = 40_000;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A local origin for URL inputs: a real image, and misbehaving endpoints. */
async function startOrigin(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/cat.png') {
      res.writeHead(200, { 'content-type': 'image/png' }).end(makePng(8, 8, 42));
    } else if (req.url === '/endless.png') {
      // No Content-Length: the gateway must count the bytes itself and stop at the cap.
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(1024 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent >= 64) res.end();
        else res.once('drain', pump);
      };
      res.on('close', () => (sent = 64));
      pump();
    } else if (req.url === '/declared-huge.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(30 * 1024 * 1024) });
      res.write(PNG_MAGIC);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('images through Azure deployments', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;
  let origin: { url: string; server: Server };

  beforeAll(async () => {
    origin = await startOrigin();
    const setup = await startAzureGateway({
      fake: { deployments: ['gpt-image-1', 'dall-e-3'] },
      deployments: [
        { name: 'img-1', model: 'gpt-image-1', deployment: 'gpt-image-1', modality: 'image', api_version: '2025-04-01-preview' },
        { name: 'dalle-1', model: 'dall-e-3', deployment: 'dall-e-3', modality: 'image' },
      ],
    });
    ({ fake, gw, key } = setup);
    return setup.close;
  });

  afterAll(async () => {
    origin?.server.closeAllConnections();
    await new Promise((resolve) => origin?.server.close(resolve));
  });

  it('generates images as gateway file URLs and bills per image returned', async () => {
    fake.setOptions({ reply: undefined });
    const before = await gw.wallet();
    const { data: result, response } = await gw.openai(key).images.generate({ model: 'gpt-image-1', prompt: 'a red fox', n: 2 }).withResponse();
    expect(result.data).toHaveLength(2);
    for (const item of result.data!) expect(item.url).toMatch(new RegExp(`^${gw.url}/files/file_[0-9A-Za-z]{22}$`));
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(2 * GPT_IMAGE);
    expect(after.locked_micros).toBe(0);

    // gpt-image models refuse response_format: the gateway left it out and stored the base64 it got.
    const sent = fake.requests[fake.requests.length - 1]!;
    expect(sent.path).toBe('/openai/deployments/gpt-image-1/images/generations');
    expect(sent.query['api-version']).toBe('2025-04-01-preview');
    expect(sent.body.response_format).toBeUndefined();
    expect(sent.body).toMatchObject({ prompt: 'a red fox', n: 2 });

    const file = await fetch(result.data![0]!.url!);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('accept-ranges')).toBe('bytes');
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.equals(makePng(16, 16, 1))).toBe(true);
    expect(Number(file.headers.get('content-length'))).toBe(bytes.length);
    const row = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
    expect(row).toMatchObject({ endpoint: 'images.generations', status: 'ok', cost_micros: 2 * GPT_IMAGE, deployment_name: 'img-1' });
  });

  it('serves byte ranges of stored files: 206, suffix ranges, 416, and 404 for unknown ids', async () => {
    const { data } = await gw.openai(key).images.generate({ model: 'gpt-image-1', prompt: 'ranges' });
    const url = data![0]!.url!;
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());

    const head = await fetch(url, { headers: { range: 'bytes=0-7' } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-7/${whole.length}`);
    expect(head.headers.get('content-length')).toBe('8');
    expect(Buffer.from(await head.arrayBuffer()).equals(PNG_MAGIC)).toBe(true);

    const tail = await fetch(url, { headers: { range: 'bytes=-12' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(whole.length - 12))).toBe(true);

    const middle = await fetch(url, { headers: { range: 'bytes=10-' } });
    expect(middle.headers.get('content-range')).toBe(`bytes 10-${whole.length - 1}/${whole.length}`);
    expect(Buffer.from(await middle.arrayBuffer()).equals(whole.subarray(10))).toBe(true);

    const beyond = await fetch(url, { headers: { range: `bytes=${whole.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${whole.length}`);

    const missing = await fetch(`${gw.url}/files/file_0000000000000000000000`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');
    const malformed = await fetch(`${gw.url}/files/..%2Fomixa.db`);
    expect(malformed.status).toBe(404);

    // Under both client base paths too, still without auth.
    const id = url.slice(url.lastIndexOf('/') + 1);
    for (const base of ['/v1', '/api/v1']) {
      const res = await fetch(`${gw.url}${base}/files/${id}`, { headers: { range: 'bytes=0-7' } });
      expect(res.status, base).toBe(206);
      expect(Buffer.from(await res.arrayBuffer()).equals(PNG_MAGIC)).toBe(true);
    }
  });

  it('passes b64_json through and asks dall-e for base64; bills what was returned, not what was asked', async () => {
    fake.setOptions({ reply: () => ({ images: 1 }) });
    const before = await gw.wallet();
    const result = await gw.openai(key).images.generate({ model: 'dall-e-3', prompt: 'a lighthouse', n: 3, response_format: 'b64_json' });
    expect(result.data).toHaveLength(1);
    const png = Buffer.from(result.data![0]!.b64_json!, 'base64');
    expect(png.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    expect(result.data![0]!.revised_prompt).toBe('A picture of a lighthouse');
    expect(fake.requests[fake.requests.length - 1]!.body.response_format).toBe('b64_json');
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(DALL_E_3);
    fake.setOptions({ reply: undefined });
  });

  it('edits an uploaded image (multipart through the SDK) and re-encodes the form upstream', async () => {
    const before = await gw.wallet();
    const image = await toFile(makePng(8, 8, 7), 'input.png', { type: 'image/png' });
    const mask = await toFile(makePng(8, 8, 0), 'mask.png', { type: 'image/png' });
    const result = await gw.openai(key).images.edit({ model: 'gpt-image-1', image, mask, prompt: 'add a hat', n: 1, size: '1024x1024' });
    expect(result.data![0]!.url).toMatch(/\/files\/file_/);
    const sent = fake.requests[fake.requests.length - 1]!;
    expect(sent.path).toBe('/openai/deployments/gpt-image-1/images/edits');
    expect(sent.body).toMatchObject({ prompt: 'add a hat', n: '1', size: '1024x1024', model: 'gpt-image-1' });
    expect(sent.body.response_format).toBeUndefined();
    const files = sent.files!.map((f) => ({ name: f.name, filename: f.filename, type: f.contentType, bytes: f.data.length }));
    expect(files).toEqual([
      { name: 'image', filename: 'input.png', type: 'image/png', bytes: makePng(8, 8, 7).length },
      { name: 'mask', filename: 'mask.png', type: 'image/png', bytes: makePng(8, 8, 0).length },
    ]);
    expect(sent.files![0]!.data.equals(makePng(8, 8, 7))).toBe(true);
    expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(GPT_IMAGE);
  });

  it('edits an image given by URL or as base64 in JSON', async () => {
    const client = gw.openai(key);
    const byUrl = await client.post<{ data: { b64_json: string }[] }>('/images/edits', {
      body: { model: 'gpt-image-1', prompt: 'sepia', image: `${origin.url}/cat.png`, response_format: 'b64_json' },
    });
    expect(Buffer.from(byUrl.data[0]!.b64_json, 'base64').subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    expect(fake.requests[fake.requests.length - 1]!.files![0]!.data.equals(makePng(8, 8, 42))).toBe(true);

    const byBase64 = await client.post<{ data: { url: string }[] }>('/images/edits', {
      body: { model: 'gpt-image-1', prompt: 'sepia', image_base64: makePng(4, 4, 3).toString('base64') },
    });
    expect(byBase64.data[0]!.url).toMatch(/\/files\/file_/);
    const upload = fake.requests[fake.requests.length - 1]!.files![0]!;
    expect(upload.data.equals(makePng(4, 4, 3))).toBe(true);
    expect(upload.contentType).toBe('image/png');
  });

  it('caps URL inputs: too many bytes or a declared size over 20 MB → 413; non-http schemes → 400; nothing billed', async () => {
    const client = gw.openai(key);
    const before = await gw.wallet();
    const calls = fake.requests.length;
    const edit = (image: string) => client.post('/images/edits', { body: { model: 'gpt-image-1', prompt: 'x', image } });

    const streamed = await apiError(edit(`${origin.url}/endless.png`));
    expect(streamed.status).toBe(413);
    expect(streamed.error).toMatchObject({ code: 'payload_too_large', param: 'image' });
    const declared = await apiError(edit(`${origin.url}/declared-huge.png`));
    expect(declared.status).toBe(413);
    for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/x.png', 'gopher://x']) {
      const refused = await apiError(edit(url));
      expect(refused.status).toBe(400);
      expect(refused.error).toMatchObject({ code: 'invalid_request', param: 'image' });
    }
    const unreachable = await apiError(edit(`${origin.url}/missing.png`));
    expect(unreachable.status).toBe(400);

    expect(fake.requests.length).toBe(calls);
    const after = await gw.wallet();
    expect(after.balance_micros).toBe(before.balance_micros);
    expect(after.locked_micros).toBe(0);
  });

  it('refuses an upload over 20 MB with 413 in the OpenAI shape', async () => {
    const before = await gw.wallet();
    const huge = await toFile(Buffer.concat([makePng(2, 2), Buffer.alloc(21 * 1024 * 1024)]), 'huge.png', { type: 'image/png' });
    const err = await apiError(gw.openai(key).images.edit({ model: 'gpt-image-1', image: huge, prompt: 'too big' }));
    expect(err.status).toBe(413);
    expect(err.error).toMatchObject({ code: 'payload_too_large' });
    expect((await gw.wallet()).balance_micros).toBe(before.balance_micros);
  });

  it('refuses missing fields and streaming with 400', async () => {
    const client = gw.openai(key);
    const noPrompt = await apiError(client.post('/images/generations', { body: { model: 'gpt-image-1' } }));
    expect(noPrompt.error).toMatchObject({ param: 'prompt' });
    const badN = await apiError(client.images.generate({ model: 'gpt-image-1', prompt: 'x', n: 0 }));
    expect(badN.error).toMatchObject({ param: 'n' });
    const noImage = await apiError(client.post('/images/edits', { body: { model: 'gpt-image-1', prompt: 'x' } }));
    expect(noImage.error).toMatchObject({ param: 'image' });
    const stream = await apiError(client.post('/images/generations', { body: { model: 'gpt-image-1', prompt: 'x', stream: true } }));
    expect(stream.status).toBe(400);
  });
});
