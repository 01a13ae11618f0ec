import type { Db } from './connection.js';

/** Stored responses are deleted this long after they were created (OpenAI keeps them 30 days too). */
export const RESPONSE_RETENTION_MS = 30 * 24 * 3_600_000;

/** At most this many responses in one `previous_response_id` chain. */
export const MAX_CHAIN_DEPTH = 1000;

/**
 * At most this many bytes of stored items (inputs and outputs) in one chain: the JSON body limit, the bound a client
 * sending the whole conversation in `input` meets.
 */
export const MAX_CHAIN_BYTES = 10 * 1024 * 1024;

/** A response to keep: the object as returned and its request's input items, both as JSON text. */
export interface NewStoredResponse {
  id: string;
  accountId: string;
  model: string;
  previousResponseId: string | null;
  /** The Response object exactly as the client got it (JSON). */
  response: string;
  /** The request's input items, `instructions` excluded (a JSON array). */
  inputItems: string;
  /** Bytes of this response's input and output items, added to its chain's size. */
  bytes: number;
  createdAt: number;
}

/** Where a stored response stands in its chain; what a continuation checks its bounds against. */
export interface ChainHead {
  id: string;
  depth: number;
  bytes: number;
}

/** One response of a chain, oldest first: its input items and its output items, as JSON arrays. */
export interface ChainTurn {
  id: string;
  /** The response this one continued: set on the oldest turn only when that response is no longer stored. */
  previousResponseId: string | null;
  inputItems: string;
  outputItems: string;
}

interface ChainRow {
  id: string;
  previous_response_id: string | null;
  input_items: string;
  output_items: string | null;
}

export type ResponsesRepository = ReturnType<typeof createResponsesRepository>;

/**
 * Stored Responses API objects, always looked up with their account: a response of another account does not exist
 * for the caller. The content is the account's conversation; nothing here logs it.
 */
export function createResponsesRepository(db: Db) {
  const insert = db.prepare<[string, string, string, string | null, string, string, number, number, number]>(
    'INSERT INTO responses (id, account_id, model, previous_response_id, response, input_items, chain_depth, chain_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const headOf = db.prepare<[string, string], { chain_depth: number; chain_bytes: number }>(
    'SELECT chain_depth, chain_bytes FROM responses WHERE id = ? AND account_id = ?',
  );
  const responseOf = db.prepare<[string, string], { response: string }>('SELECT response FROM responses WHERE id = ? AND account_id = ?');
  const inputItemsOf = db.prepare<[string, string], { input_items: string }>('SELECT input_items FROM responses WHERE id = ? AND account_id = ?');
  const remove = db.prepare<[string, string]>('DELETE FROM responses WHERE id = ? AND account_id = ?');
  const removeOlder = db.prepare<[number]>('DELETE FROM responses WHERE created_at < ?');
  // Newest first by walking previous_response_id links within the account; the depth bound stops a (corrupt) cycle.
  const chain = db.prepare<[string, string, string, number], ChainRow>(`
    WITH RECURSIVE chain (id, previous_response_id, input_items, output_items, depth) AS (
      SELECT id, previous_response_id, input_items, json_extract(response, '$.output'), 1 FROM responses WHERE id = ? AND account_id = ?
      UNION ALL
      SELECT r.id, r.previous_response_id, r.input_items, json_extract(r.response, '$.output'), chain.depth + 1
        FROM responses r JOIN chain ON r.id = chain.previous_response_id
        WHERE r.account_id = ? AND chain.depth < ?
    )
    SELECT id, previous_response_id, input_items, output_items FROM chain ORDER BY depth DESC`);

  return {
    /** Keeps a response; its chain position comes from the response it continues (when that one is still stored). */
    insert(input: NewStoredResponse): ChainHead {
      const previous = input.previousResponseId ? headOf.get(input.previousResponseId, input.accountId) : undefined;
      const depth = (previous?.chain_depth ?? 0) + 1;
      const bytes = (previous?.chain_bytes ?? 0) + input.bytes;
      insert.run(input.id, input.accountId, input.model, input.previousResponseId, input.response, input.inputItems, depth, bytes, input.createdAt);
      return { id: input.id, depth, bytes };
    },
    /** The chain position of a stored response of this account; undefined when there is none. */
    head(id: string, accountId: string): ChainHead | undefined {
      const row = headOf.get(id, accountId);
      return row ? { id, depth: row.chain_depth, bytes: row.chain_bytes } : undefined;
    },
    /** The Response object as it was returned (JSON text). */
    response(id: string, accountId: string): string | undefined {
      return responseOf.get(id, accountId)?.response;
    },
    /** The input items of a stored response (JSON text of an array). */
    inputItems(id: string, accountId: string): string | undefined {
      return inputItemsOf.get(id, accountId)?.input_items;
    },
    /**
     * The conversation that ends with this response, oldest turn first. It stops where an earlier response is gone
     * (deleted, expired): the oldest turn's `previousResponseId` then names the missing one.
     */
    chain(id: string, accountId: string): ChainTurn[] {
      return chain
        .all(id, accountId, accountId, MAX_CHAIN_DEPTH)
        .map((row) => ({ id: row.id, previousResponseId: row.previous_response_id, inputItems: row.input_items, outputItems: row.output_items ?? '[]' }));
    },
    /** Deletes a stored response; false when this account has none of that id. */
    delete(id: string, accountId: string): boolean {
      return remove.run(id, accountId).changes > 0;
    },
    /** Deletes the responses created before the retention period; returns how many. */
    sweepExpired(now: number = Date.now()): number {
      return removeOlder.run(now - RESPONSE_RETENTION_MS).changes;
    },
  };
}
