/**
 * The web console end to end, in Chromium, against the real gateway and the Azure fake (see global-setup.ts):
 * sign in, first-run guide, add a deployment, create a key (shown once), top up, stream a chat in the playground,
 * see it in Usage and on the dashboard, media, support, settings, and a screenshot of every page in light and dark.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';

const URL = process.env.OMIXA_E2E_URL!;
const FAKE_URL = process.env.OMIXA_E2E_FAKE_URL!;
const ADMIN_TOKEN = process.env.OMIXA_E2E_ADMIN_TOKEN!;
const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results/e2e/screenshots');
const PAGES = ['dashboard', 'deployments', 'catalog', 'playground', 'keys', 'wallet', 'usage', 'media', 'support', 'settings'] as const;

test.describe.configure({ mode: 'serial' });

let page: Page;
let clientKey = '';
const consoleProblems: string[] = [];

async function admin<T = any>(method: string, urlPath: string, body?: unknown, token = ADMIN_TOKEN): Promise<{ status: number; json: T }> {
  const response = await fetch(`${URL}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as T };
}

async function client<T = any>(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: T; requestId: string | null }> {
  const response = await fetch(`${URL}/v1${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${clientKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as T, requestId: response.headers.get('x-omixa-request-id') };
}

async function open(pageId: string): Promise<void> {
  await page.goto(`${URL}/#/${pageId}`);
  await expect(page.locator('main h1').first()).toBeVisible();
}

/** Waits until the page shows no loading state, then saves it in the light and the dark scheme. */
async function screenshotBothSchemes(name: string): Promise<void> {
  await expect(page.locator('.state-loading')).toHaveCount(0);
  await page.mouse.move(0, 0);
  // The navigation is sticky: capture from the top so it sits where a person sees it.
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test.beforeAll(async ({ browser }) => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  page = await context.newPage();
  page.on('console', (message) => {
    // A 401 on purpose (wrong token) is expected; anything else in the console is a defect.
    if (message.type() === 'error' && !/status of 401/.test(message.text())) consoleProblems.push(message.text());
  });
  page.on('pageerror', (error) => consoleProblems.push(`pageerror: ${error.message}`));
});

test.afterAll(async () => {
  await page?.context().close();
});

test('signs in with the admin token (a wrong one is refused)', async () => {
  await page.goto(`${URL}/`);
  await expect(page.getByRole('heading', { name: 'Sign in to the console' })).toBeVisible();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'sign-in-light.png') });
  await page.getByLabel('Admin token').fill('not-the-admin-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('The admin token was not accepted.');
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
});

test('the first-run guide leads to adding a deployment that points at the upstream', async () => {
  const guide = page.getByTestId('first-run');
  await expect(guide).toBeVisible();
  await screenshotBothSchemes('first-run');
  await guide.getByRole('link', { name: 'Add your first deployment' }).click();

  const dialog = page.getByRole('dialog', { name: 'Add deployment' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Name', { exact: true }).fill('azure-east');
  await dialog.getByLabel('Model', { exact: true }).fill('gpt-4o-mini');
  await dialog.getByLabel('Upstream deployment').fill('gpt-4o-mini');
  await dialog.getByLabel('Endpoint').fill(FAKE_URL);
  await dialog.getByLabel('API key').fill('azure-secret-1');
  await dialog.getByLabel('RPM').fill('60');
  await dialog.getByLabel('TPM').fill('100000');
  await screenshotBothSchemes('deployment-form');
  await dialog.getByRole('button', { name: 'Add deployment' }).click();
  await expect(dialog).toBeHidden();

  const row = page.getByTestId('deployment-azure-east');
  await expect(row).toContainText('gpt-4o-mini');
  await expect(row).toContainText('Enabled');
  // The secret is never shown again: only the masked hint the API returns.
  await expect(row).toContainText('••••et-1');
  await expect(page.locator('body')).not.toContainText('azure-secret-1');

  await row.getByRole('button', { name: 'Test' }).click();
  await expect(row.getByRole('status')).toContainText('Test OK');

  await row.getByRole('button', { name: 'Disable azure-east' }).click();
  await expect(row).toContainText('Disabled');
  await row.getByRole('button', { name: 'Enable azure-east' }).click();
  await expect(row).toContainText('Enabled');
});

test('creates a client key that is shown once, with a copy button', async () => {
  await open('dashboard');
  await page.getByTestId('first-run').getByRole('link', { name: 'Create a key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create key' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Name').fill('e2e-app');
  await dialog.getByLabel('Requests per minute').fill('600');
  await dialog.getByRole('button', { name: 'Create key' }).click();

  const revealed = page.getByTestId('revealed-key');
  await expect(revealed).toBeVisible();
  clientKey = (await page.getByTestId('new-key-value').textContent())!.trim();
  expect(clientKey).toMatch(/^omx_live_[0-9A-Za-z]{32}$/);
  await screenshotBothSchemes('key-created');
  await revealed.getByRole('button', { name: 'Copy key' }).click();
  await expect(revealed.getByRole('button', { name: 'Copied', exact: true })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientKey);

  await revealed.getByRole('button', { name: /Done/ }).click();
  await expect(revealed).toBeHidden();
  await expect(page.locator('body')).not.toContainText(clientKey);
  const row = page.getByTestId('key-e2e-app');
  await expect(row).toContainText(clientKey.slice(0, 13));
  await expect(row).toContainText('600 rpm');

  // The guide now shows the SDK snippet to paste, with a placeholder instead of the key.
  await open('dashboard');
  const guide = page.getByTestId('first-run');
  await expect(guide.locator('pre')).toContainText(`${URL}/v1`);
  await expect(guide.locator('pre')).toContainText('omx_live_…');
  await expect(page.locator('body')).not.toContainText(clientKey);
});

test('tops up the wallet in USD and shows the ledger', async () => {
  await open('wallet');
  await expect(page.getByTestId('wallet-available')).toHaveText('$0.00');
  const topUp = page.getByRole('form', { name: 'Top up' });
  await topUp.getByLabel('Amount (USD)').fill('25');
  await expect(topUp).toContainText('25,000,000 micro-USD');
  await topUp.getByRole('button', { name: 'Top up' }).click();
  await expect(page.getByTestId('wallet-available')).toHaveText('$25.00');

  const adjust = page.getByRole('form', { name: 'Adjustment' });
  await adjust.getByLabel('Amount (USD)').fill('-0.5');
  await adjust.getByLabel('Note').fill('goodwill correction');
  await adjust.getByRole('button', { name: 'Apply adjustment' }).click();
  await expect(page.getByTestId('wallet-available')).toHaveText('$24.50');
  const ledger = page.getByTestId('ledger');
  await expect(ledger).toContainText('Top-up');
  await expect(ledger).toContainText('+$25.00');
  await expect(ledger).toContainText('goodwill correction');
  expect((await admin('GET', '/admin/api/accounts/default')).json.wallet.balance_micros).toBe(24_500_000);
});

test('streams a chat in the playground: the text grows before the answer ends, then cost and latency', async () => {
  await open('playground');
  await expect(page.getByLabel('Model')).toHaveValue('gpt-4o-mini');
  await expect(page.getByTestId('playground-balance')).toContainText('$24.50');
  await page.getByLabel('System prompt').fill('You are terse.');
  await page.getByLabel('Temperature').fill('0.3');
  await page.getByLabel('Max tokens').fill('200');
  await page.getByLabel('Reasoning effort').selectOption('low');

  const words = Array.from({ length: 28 }, (_, i) => `word${i + 1}`).join(' ');
  const message = `Please repeat after me: ${words}`;
  await page.getByLabel('Message').fill(message);
  await page.getByRole('button', { name: 'Send' }).click();

  const indicator = page.getByTestId('streaming-indicator');
  const output = page.getByTestId('assistant-output').last();
  await expect(indicator).toContainText('Streaming');
  await expect(output).not.toHaveText('');
  const early = (await output.textContent())!.length;
  await page.waitForTimeout(500);
  const later = (await output.textContent())!.length;
  // Both samples were taken while the answer was still streaming.
  await expect(indicator).toBeVisible();
  expect(later).toBeGreaterThan(early);
  await screenshotBothSchemes('playground-streaming');

  await expect(indicator).toBeHidden({ timeout: 20_000 });
  await expect(output).toHaveText(`Echo: ${message}`);
  await expect(page.getByTestId('turn-cost').last()).toHaveText(/^\$0\.\d+$/);
  await expect(page.getByTestId('turn-latency').last()).toHaveText(/^\d+(\.\d+)? (ms|s)$/);

  // Tool calls are shown as they come.
  await page.getByText('Tools (function calling)').click();
  await page.getByLabel('Tools JSON').fill(
    JSON.stringify([{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }]),
  );
  await page.getByLabel('Message').fill('What is the weather in Paris?');
  await page.getByRole('button', { name: 'Send' }).click();
  const call = page.getByTestId('tool-call').last();
  await expect(call).toContainText('get_weather');
  await expect(call).toContainText('"city": "Paris"');
  await expect(indicator).toBeHidden({ timeout: 20_000 });
  await expect(page.getByTestId('turn-cost').last()).toHaveText(/^\$0\.\d+$/);
  await page.getByLabel('Tools JSON').fill('');

  // "Copy as curl / Python / Node" points at the local gateway with a key placeholder.
  await page.getByText('Copy as curl / Python / Node').click();
  const snippet = page.locator('.snippets pre');
  await expect(snippet).toContainText(`curl -N ${URL}/v1/chat/completions`);
  await expect(snippet).toContainText('"temperature":0.3');
  await page.locator('.snippets').getByRole('button', { name: 'Python' }).click();
  await expect(snippet).toContainText(`client = OpenAI(base_url="${URL}/v1", api_key="omx_live_…")`);
  await expect(snippet).toContainText('reasoning_effort="low"');
  await page.locator('.snippets').getByRole('button', { name: 'Node' }).click();
  await expect(snippet).toContainText("import OpenAI from 'openai';");
  await page.locator('.snippets').getByRole('button', { name: 'Copy as Node' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('omx_live_…');
  await screenshotBothSchemes('playground-done');
});

test('shows the requests in Usage, and new traffic updates the charts without a reload', async () => {
  await open('usage');
  const log = page.getByTestId('request-log');
  await expect(log).toContainText('gpt-4o-mini');
  await expect(log).toContainText('playground');
  await expect(page.getByTestId('usage-charts').locator('.recharts-bar-rectangle').first()).toBeVisible();
  const total = page.getByTestId('usage-total-requests');
  await expect(total).toHaveText('2');

  const call = await client('POST', '/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'from an app' }] });
  expect(call.status).toBe(200);
  await expect(total).toHaveText('3', { timeout: 10_000 });
  await expect(log.locator(`[data-request-id="${call.requestId}"]`)).toBeVisible({ timeout: 10_000 });

  // Filters: by status, then the full record of one request.
  await page.getByLabel('Status').selectOption('error');
  await expect(page.getByText('No request matches these filters')).toBeVisible();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await log.getByRole('button', { name: `Open request ${call.requestId}` }).click();
  const record = page.getByRole('dialog', { name: `Request ${call.requestId}` });
  await expect(record).toContainText('cost_micros');
  await expect(record).toContainText('azure-east');
  await record.getByRole('button', { name: 'Close' }).click();
  await screenshotBothSchemes('usage');
});

test('the dashboard shows live requests from the event feed and spend today', async () => {
  await open('dashboard');
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  const call = await client('POST', '/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'live feed' }] });
  expect(call.status).toBe(200);
  const live = page.getByTestId('live-requests');
  await expect(live).toContainText('gpt-4o-mini');
  await expect(live).toContainText('ok');
  await expect(page.getByTestId('requests-today')).toContainText('4');
  await expect(page.getByTestId('spend-today')).toContainText(/\$0\.\d+/);
});

test('catalog: edits a model price', async () => {
  await open('catalog');
  await page.getByLabel('Search models').fill('gpt-4o-mini');
  const row = page.getByTestId('model-gpt-4o-mini');
  await expect(row).toContainText('1 enabled');
  await row.getByRole('button', { name: 'Edit prices of gpt-4o-mini' }).click();
  const dialog = page.getByRole('dialog', { name: 'Prices of gpt-4o-mini' });
  await dialog.getByLabel('Output (per 1M tokens)').fill('0.8');
  await dialog.getByRole('button', { name: 'Save prices' }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toContainText('$0.80');
  const models = (await admin('GET', '/admin/api/models')).json.data as { id: string; pricing: Record<string, number> }[];
  expect(models.find((m) => m.id === 'gpt-4o-mini')?.pricing.output_per_mtok).toBe(0.8);
});

test('media: the empty state, then a generated image appears and opens', async () => {
  await open('media');
  await expect(page.getByTestId('empty-state')).toContainText('No media yet');
  await screenshotBothSchemes('media-empty');

  const added = await admin('POST', '/admin/api/deployments', { name: 'azure-image', model: 'gpt-image-1', endpoint: FAKE_URL, deployment: 'gpt-image-1', api_key: 'azure-secret-1' });
  expect(added.status).toBe(201);
  await expect
    .poll(async () => (await client('POST', '/images/generations', { model: 'gpt-image-1', prompt: 'a lighthouse', response_format: 'url' })).status, { timeout: 5_000 })
    .toBe(200);

  const grid = page.getByTestId('media-grid');
  await expect(grid).toBeVisible({ timeout: 15_000 });
  await expect(grid).toContainText('gpt-image-1');
  await grid.getByRole('button', { name: /^Open file_/ }).first().click();
  const viewer = page.getByRole('dialog');
  const image = viewer.locator('img');
  await expect(image).toBeVisible();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await expect(viewer).toContainText('image/png');
  await screenshotBothSchemes('media-open');
  await viewer.getByRole('button', { name: 'Close' }).click();
});

test('support: answers a ticket a client opened and shows the linked request record', async () => {
  const call = await client('POST', '/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Was I billed right?' }] });
  const created = await client('POST', '/support/tickets', { subject: 'Was this billed twice?', body: 'Please check this request.', request_ids: [call.requestId] });
  expect(created.status).toBe(201);

  await open('support');
  const thread = page.getByTestId('ticket-thread');
  await expect(thread).toContainText('Was this billed twice?');
  await expect(thread).toContainText('Please check this request.');
  await thread.getByRole('button', { name: call.requestId! }).click();
  const record = page.getByRole('dialog', { name: `Request ${call.requestId}` });
  await expect(record.getByTestId('request-record')).toContainText('Usage row');
  await expect(record).toContainText('capture');
  await expect(record).toContainText('hold');
  await screenshotBothSchemes('support-record');
  await record.getByRole('button', { name: 'Close' }).click();

  await thread.getByLabel('Answer').fill('Billed once: one capture, the rest of the hold released.');
  await thread.getByRole('button', { name: 'Send answer' }).click();
  await expect(thread).toContainText('You (admin)');
  await expect(thread.locator('.thread-header')).toContainText('answered');
  const seen = await client('GET', `/support/tickets/${created.json.id}`);
  expect(seen.json.messages.at(-1)).toMatchObject({ author: 'admin', body: 'Billed once: one capture, the rest of the hold released.' });

  await thread.getByRole('button', { name: 'Close ticket' }).click();
  await expect(thread.locator('.thread-header')).toContainText('closed');
  await expect(thread).toContainText('This ticket is closed.');
});

test('keys: revokes a key, which then stops working', async () => {
  const throwaway = (await admin('POST', '/admin/api/keys', { name: 'throwaway' })).json.key as string;
  await open('keys');
  const row = page.getByTestId('key-throwaway');
  await row.getByRole('button', { name: 'Revoke throwaway' }).click();
  await page.getByRole('dialog', { name: 'Revoke throwaway?' }).getByRole('button', { name: 'Revoke key' }).click();
  await expect(row).toBeHidden();
  await page.getByLabel('Show revoked keys').check();
  await expect(page.getByTestId('key-throwaway')).toContainText('Revoked');
  const refused = await fetch(`${URL}/v1/models`, { headers: { authorization: `Bearer ${throwaway}` } });
  expect(refused.status).toBe(401);
  await page.getByLabel('Show revoked keys').uncheck();
});

test('settings: switches, streaming knobs, theme toggle', async () => {
  await open('settings');
  await expect(page.getByText('AZURE_STREAM_HEARTBEAT_SECONDS')).toBeVisible();
  await expect(page.getByText('npx omixa backup FILE')).toBeVisible();
  const selfTopUp = page.getByRole('switch', { name: /Allow self top-up/ });
  await selfTopUp.check();
  await expect.poll(async () => (await admin('GET', '/admin/api/settings')).json.self_top_up).toBe(true);
  await selfTopUp.uncheck();
  await expect.poll(async () => (await admin('GET', '/admin/api/settings')).json.self_top_up).toBe(false);

  const toggle = page.getByRole('button', { name: /Switch theme/ });
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'settings-forced-dark.png'), fullPage: true });
  await toggle.click();
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', /.+/);
});

test('every page in light and dark, keyboard reachable', async () => {
  for (const id of PAGES) {
    await open(id);
    await screenshotBothSchemes(id);
  }
  // The navigation is reachable from the keyboard, with a visible focus ring.
  await open('dashboard');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.locator(':focus')).toHaveText('Skip to content');
  await page.keyboard.press('Tab');
  const focused = page.locator(':focus');
  await expect(focused).toHaveText('Dashboard');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Deployments', level: 1 })).toBeVisible();
});

test('rotating the admin token makes the console ask for the new one', async () => {
  await open('settings');
  await page.getByRole('button', { name: 'Rotate admin token' }).click();
  await page.getByRole('dialog', { name: 'Rotate the admin token?' }).getByRole('button', { name: 'Rotate now' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to the console' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('rotated');
  const newToken = (await page.getByTestId('rotated-token').locator('code').textContent())!.trim();
  expect(newToken).not.toBe(ADMIN_TOKEN);
  expect((await admin('GET', '/admin/api/settings')).status).toBe(401);
  await page.getByLabel('Admin token').fill(newToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Back where the admin was, working with the new token.
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await expect(page.getByText('AZURE_STREAM_HEARTBEAT_SECONDS')).toBeVisible();
  expect((await admin('GET', '/admin/api/settings', undefined, newToken)).status).toBe(200);
});

test('no console errors or CSP violations along the way', async () => {
  expect(consoleProblems).toEqual([]);
});
