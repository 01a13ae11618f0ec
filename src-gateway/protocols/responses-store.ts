import { gatewayError } from '../errors.js';
import { newId } from '../ids.js';
import { inputItemsOf, type InputItem, type ResponsesRequest } from './responses.js';

/**
 * Stored responses, protocol side: which input items are kept (with ids, as OpenAI gives them), how a stored
 * conversation becomes history items again, and the `input_items` list page. Pure: the database is the route's.
 */

const ID_PREFIX: Record<string, string> = { message: 'msg', function_call: 'fc', function_call_output: 'fco', reasoning: 'rs' };

/**
 * The request's input items as kept: as sent (so a continuation sends the upstream what the client sent), each with
 * an id where it had none. `instructions` are not among them: OpenAI does not carry them over to the next response.
 */
export function storedInputItems(input: ResponsesRequest['input']): InputItem[] {
  return inputItemsOf(input).map((item) => ('id' in item && typeof item.id === 'string' ? item : ({ id: newId(ID_PREFIX[item.type] ?? 'item'), ...item } as InputItem)));
}

/** A stored conversation (each turn's input and output items as JSON arrays, oldest first) as history items. */
export function historyItems(turns: readonly { inputItems: string; outputItems: string }[]): InputItem[] {
  const items: InputItem[] = [];
  for (const turn of turns) {
    items.push(...(JSON.parse(turn.inputItems) as InputItem[]));
    items.push(...(JSON.parse(turn.outputItems) as InputItem[]));
  }
  return items;
}

/** An input item as the list shows it: message text is always content parts, as in OpenAI's item objects. */
function itemView(item: InputItem): Record<string, unknown> {
  if (item.type !== 'message' || typeof item.content !== 'string') return item;
  const part = item.role === 'assistant' ? { type: 'output_text', text: item.content, annotations: [] } : { type: 'input_text', text: item.content };
  return { ...item, content: [part] };
}

export const DEFAULT_ITEMS_LIMIT = 20;
export const MAX_ITEMS_LIMIT = 100;

/** The `GET /responses/{id}/input_items` query: `order` (asc|desc, default desc), `limit` (1–100, default 20), `after`. */
export interface InputItemsQuery {
  order?: string;
  limit?: string;
  after?: string;
}

/** One page of a stored response's input items, in OpenAI's list shape (`first_id`, `last_id`, `has_more`). */
export function inputItemsPage(items: readonly InputItem[], query: InputItemsQuery): Record<string, unknown> {
  const order = query.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw gatewayError('invalid_request', "Invalid 'order': expected 'asc' or 'desc'.", { param: 'order' });
  let limit = DEFAULT_ITEMS_LIMIT;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!/^\d+$/.test(query.limit) || limit < 1 || limit > MAX_ITEMS_LIMIT) {
      throw gatewayError('invalid_request', `Invalid 'limit': expected an integer from 1 to ${MAX_ITEMS_LIMIT}.`, { param: 'limit' });
    }
  }
  const ordered = order === 'asc' ? items : [...items].reverse();
  let start = 0;
  if (query.after) {
    const at = ordered.findIndex((item) => 'id' in item && item.id === query.after);
    if (at < 0) throw gatewayError('invalid_request', `Invalid 'after': no input item '${query.after}' in this response.`, { param: 'after' });
    start = at + 1;
  }
  const data = ordered.slice(start, start + limit).map(itemView);
  return {
    object: 'list',
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data[data.length - 1]?.id as string | undefined) ?? null,
    has_more: start + limit < ordered.length,
  };
}
