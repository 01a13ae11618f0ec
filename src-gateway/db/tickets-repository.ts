import type { Db } from './connection.js';
import { newId } from '../ids.js';
import { clampLimit, decodeCursor, toPage, type Page } from './pagination.js';

export type TicketStatus = 'open' | 'answered' | 'closed';

export interface TicketMessage {
  author: 'client' | 'admin';
  body: string;
  created_at: number;
}

export interface Ticket {
  id: string;
  account_id: string;
  key_id: string | null;
  subject: string;
  status: TicketStatus;
  request_ids: string[];
  messages: TicketMessage[];
  created_at: number;
  updated_at: number;
}

interface TicketRow {
  seq: number;
  id: string;
  account_id: string;
  key_id: string | null;
  subject: string;
  status: TicketStatus;
  created_at: number;
  updated_at: number;
}

export type TicketsRepository = ReturnType<typeof createTicketsRepository>;

/** Support tickets: a subject, a thread of messages between the client and the admin, and linked request ids. */
export function createTicketsRepository(db: Db) {
  const insert = db.prepare('INSERT INTO tickets (id, account_id, key_id, subject, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insertMessage = db.prepare('INSERT INTO ticket_messages (ticket_id, author, body, created_at) VALUES (?, ?, ?, ?)');
  const insertLink = db.prepare('INSERT OR IGNORE INTO ticket_requests (ticket_id, request_id) VALUES (?, ?)');
  const byId = db.prepare<[string], TicketRow>('SELECT * FROM tickets WHERE id = ?');
  const messages = db.prepare<[string], TicketMessage>('SELECT author, body, created_at FROM ticket_messages WHERE ticket_id = ? ORDER BY seq');
  const links = db.prepare<[string], { request_id: string }>('SELECT request_id FROM ticket_requests WHERE ticket_id = ? ORDER BY request_id');
  const setStatus = db.prepare('UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?');

  const hydrate = (row: TicketRow): Ticket => ({
    id: row.id,
    account_id: row.account_id,
    key_id: row.key_id,
    subject: row.subject,
    status: row.status,
    request_ids: links.all(row.id).map((l) => l.request_id),
    messages: messages.all(row.id).map((m) => ({ ...m, created_at: Math.floor(m.created_at / 1000) })),
    created_at: Math.floor(row.created_at / 1000),
    updated_at: Math.floor(row.updated_at / 1000),
  });

  const create = db.transaction((input: { accountId: string; keyId: string | null; subject: string; body: string; requestIds: string[] }) => {
    const id = newId('tkt');
    const now = Date.now();
    insert.run(id, input.accountId, input.keyId, input.subject, 'open', now, now);
    insertMessage.run(id, 'client', input.body, now);
    for (const requestId of input.requestIds) insertLink.run(id, requestId);
    return id;
  });

  const reply = db.transaction((id: string, author: 'client' | 'admin', body: string) => {
    const now = Date.now();
    insertMessage.run(id, author, body, now);
    setStatus.run(author === 'admin' ? 'answered' : 'open', now, id);
  });

  return {
    create(input: { accountId: string; keyId: string | null; subject: string; body: string; requestIds: string[] }): Ticket {
      return hydrate(byId.get(create(input))!);
    },
    get(id: string): Ticket | undefined {
      const row = byId.get(id);
      return row ? hydrate(row) : undefined;
    },
    list(filter: { accountId?: string; status?: string; cursor?: string; limit?: number }): Page<Ticket> {
      const limit = clampLimit(filter.limit);
      const where = ['seq < @before'];
      const params: Record<string, unknown> = { before: decodeCursor(filter.cursor) ?? Number.MAX_SAFE_INTEGER, limit: limit + 1 };
      if (filter.accountId) (where.push('account_id = @accountId'), (params.accountId = filter.accountId));
      if (filter.status) (where.push('status = @status'), (params.status = filter.status));
      const rows = db.prepare<[Record<string, unknown>], TicketRow>(`SELECT * FROM tickets WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT @limit`).all(params);
      return toPage(rows, limit, hydrate);
    },
    reply(id: string, author: 'client' | 'admin', body: string): Ticket | undefined {
      if (!byId.get(id)) return undefined;
      reply(id, author, body);
      return hydrate(byId.get(id)!);
    },
    close(id: string): Ticket | undefined {
      if (!byId.get(id)) return undefined;
      setStatus.run('closed', Date.now(), id);
      return hydrate(byId.get(id)!);
    },
  };
}
