/**
 * CPU cost of the gateway's per-request prompt-token estimate (`estimateChatPromptTokens`, run on every chat call to
 * size the wallet hold) for the long-conversation bodies of the benchmark: each request repeats ~16 KB of history
 * and adds a new question. `node --import tsx bench/hold-estimate.ts`
 *
 * Prints µs per request for 5 rounds of 80 new requests (the minimum is the least disturbed by other work on the
 * machine) and the token total, which must not change when the estimate is optimised.
 */
import { conversationBody } from './bodies.js';
import { estimateChatPromptTokens } from '../src-gateway/domain/token-estimate.js';

const next = conversationBody();
const bodies = Array.from({ length: 400 }, () => JSON.parse(next()) as { messages: unknown[] });
const rounds: number[] = [];
let tokens = 0;
for (let r = 0; r < 5; r++) {
  const started = performance.now();
  for (let i = r * 80; i < (r + 1) * 80; i++) tokens += estimateChatPromptTokens(bodies[i]!.messages);
  rounds.push(((performance.now() - started) / 80) * 1000);
}
console.log(`µs per request: ${rounds.map((x) => x.toFixed(0)).join(' ')} (min ${Math.min(...rounds).toFixed(0)}); tokens ${tokens}`);
