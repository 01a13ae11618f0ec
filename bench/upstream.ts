/**
 * The upstream: the loopback Azure OpenAI fake from the test suite, in its own process.
 * Non-streamed answers are immediate; streamed events are `--chunk-delay` ms apart (default 20).
 */
import { startAzureFake } from '../test/support/fakes/azure-openai.js';
import { arg, onStop, serveStats, tell } from './common.js';
import { UPSTREAM_SECRET } from './bodies.js';

const fake = await startAzureFake({ chunkDelayMs: Number(arg('chunk-delay', '20')), firstByteDelayMs: 0, apiKey: UPSTREAM_SECRET, deployments: ['gpt-4o-mini'] });
// The fake records every request; a throughput run sends hundreds of thousands, so do not keep them.
setInterval(() => (fake.requests.length = 0), 1000).unref();
serveStats();
onStop(() => fake.close());
tell({ type: 'ready', url: fake.url });
