import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src-gateway/errors.js';
import { parseResponsesRequest, toChatRequest, type InputItem } from '../../../src-gateway/protocols/responses.js';
import { historyItems, inputItemsPage, storedInputItems } from '../../../src-gateway/protocols/responses-store.js';

const items = (n: number): InputItem[] => Array.from({ length: n }, (_, i) => ({ id: `msg_${i}`, type: 'message', role: 'user', content: `m${i}` }) as InputItem);

function refusal(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('stored input items', () => {
  it('keeps the input as sent, with an id on every item, and a string input as one user message', () => {
    expect(storedInputItems('hi')).toEqual([{ id: expect.stringMatching(/^msg_/), type: 'message', role: 'user', content: 'hi' }]);
    const request = parseResponsesRequest({
      model: 'm',
      input: [
        { role: 'user', content: 'a' },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
        { id: 'msg_client', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'b' }] },
      ],
    });
    const kept = storedInputItems(request.input) as unknown as ({ id: string } & Record<string, unknown>)[];
    expect(kept.map((item) => item.id.split('_')[0])).toEqual(['msg', 'fc', 'fco', 'msg']);
    expect(kept[3]!.id).toBe('msg_client');
    expect(kept[0]).toMatchObject({ type: 'message', role: 'user', content: 'a' });
  });

  it('turns a stored chain back into history before the new input, naming history errors after previous_response_id', () => {
    const history = historyItems([
      { inputItems: JSON.stringify([{ id: 'msg_1', type: 'message', role: 'user', content: 'q1' }]), outputItems: JSON.stringify([{ id: 'fc_1', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{}' }]) },
      { inputItems: JSON.stringify([{ id: 'fco_1', type: 'function_call_output', call_id: 'call_1', output: '42' }]), outputItems: JSON.stringify([{ id: 'msg_2', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'It is 42.', annotations: [] }] }]) },
    ]);
    const chat = toChatRequest(parseResponsesRequest({ model: 'm', input: 'thanks', instructions: 'Be kind.' }), history);
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '42' },
      { role: 'assistant', content: 'It is 42.' },
      { role: 'user', content: 'thanks' },
    ]);
    const err = refusal(() => toChatRequest(parseResponsesRequest({ model: 'm', input: [{ role: 'assistant', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }), history));
    expect(err.param).toBe('input[0].content[0]');
  });
});

describe('input items list page', () => {
  it('lists newest first by default, 20 at a time, in the OpenAI list shape', () => {
    const page = inputItemsPage(items(25), {});
    expect(page).toMatchObject({ object: 'list', first_id: 'msg_24', last_id: 'msg_5', has_more: true });
    expect((page.data as unknown[]).length).toBe(20);
    const next = inputItemsPage(items(25), { after: 'msg_5' });
    expect(next).toMatchObject({ first_id: 'msg_4', last_id: 'msg_0', has_more: false });
  });

  it('honours order=asc and limit, and shows message text as content parts', () => {
    const page = inputItemsPage([...items(2), { id: 'msg_a', type: 'message', role: 'assistant', content: 'done' } as InputItem], { order: 'asc', limit: '3' });
    expect(page.data).toEqual([
      { id: 'msg_0', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'm0' }] },
      { id: 'msg_1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'm1' }] },
      { id: 'msg_a', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done', annotations: [] }] },
    ]);
    expect(page.has_more).toBe(false);
    expect(inputItemsPage(items(3), { order: 'asc', limit: '2', after: 'msg_1' })).toMatchObject({ first_id: 'msg_2', last_id: 'msg_2', has_more: false });
  });

  it.each([
    [{ order: 'sideways' }, 'order'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: '2.5' }, 'limit'],
    [{ after: 'msg_unknown' }, 'after'],
  ])('refuses %j naming %s', (query, param) => {
    const err = refusal(() => inputItemsPage(items(3), query));
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
  });
});
