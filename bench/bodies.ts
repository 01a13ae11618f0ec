/** Request bodies and the upstream fake's coordinates, shared by the bench scripts. */

/** The Azure deployment path of the upstream fake (`bench/upstream.ts`) and the secret it accepts. */
export const UPSTREAM_CHAT_PATH = '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21';
export const UPSTREAM_SECRET = 'azure-secret-1';

/** The tiny non-streamed chat call of the throughput runs. */
export const CHAT_BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello to the benchmark.' }] });

/** The streamed chat call of the TTFB and spread runs. */
export const STREAM_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  stream: true,
  // Asked by every client so the three targets forward the same events (the gateway drops the usage frame otherwise).
  stream_options: { include_usage: true },
  messages: [{ role: 'user', content: 'Say hello to the benchmark, please.' }],
});

/**
 * A long multi-turn chat as clients really send it: ~16 KB of history (system prompt and 14 turns of deterministic
 * pseudo-English with some code) that every request repeats, then a last user question that differs per request.
 */
export function conversationBody(): () => string {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const words = (
    'the a to of and in is that for it with as on be this are by from at or have an will can not but your which you ' +
    'gateway request deployment wallet billing token stream latency upstream proxy answer question model price hold ' +
    'account usage error retry timeout window limit route health response header body event client server database ' +
    'const let function return await async if else for while try catch throw new class interface type import export'
  ).split(' ');
  const sentence = () => {
    const n = 6 + Math.floor(rand() * 14);
    const w = Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]!);
    w[0] = w[0]!.charAt(0).toUpperCase() + w[0]!.slice(1);
    return w.join(' ') + (rand() < 0.15 ? `: \`${words[Math.floor(rand() * words.length)]}(${Math.floor(rand() * 1000)})\`.` : '.');
  };
  const paragraph = (chars: number) => {
    let out = '';
    while (out.length < chars) out += (out ? ' ' : '') + sentence();
    return out;
  };
  const messages: { role: string; content: string }[] = [{ role: 'system', content: paragraph(1200) }];
  for (let i = 0; i < 14; i++) messages.push({ role: i % 2 === 0 ? 'user' : 'assistant', content: paragraph(i % 2 === 0 ? 500 : 1600) });
  const head = JSON.stringify({ model: 'gpt-4o-mini', messages }).slice(0, -2); // without the closing `]}`
  let n = 0;
  return () => `${head},${JSON.stringify({ role: 'user', content: `Question ${++n}: ${paragraph(120)}` })}]}`;
}
