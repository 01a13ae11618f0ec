import { apiGet, apiSend, withQuery, type ListPage } from '../../../lib/api-client';
import type { Ticket, TicketDetail } from '../../../types/gateway';

const ticketPath = (id: string) => `/admin/api/tickets/${encodeURIComponent(id)}`;

export function listTickets(status: string, cursor: string | null, signal?: AbortSignal): Promise<ListPage<Ticket>> {
  return apiGet(withQuery('/admin/api/tickets', { status, cursor, limit: 50 }), signal);
}

/** The ticket with each linked request's full record (usage row + ledger rows). */
export function getTicket(id: string, signal?: AbortSignal): Promise<TicketDetail> {
  return apiGet(ticketPath(id), signal);
}

export function answerTicket(id: string, body: string): Promise<Ticket> {
  return apiSend('POST', `${ticketPath(id)}/replies`, { body });
}

export function closeTicket(id: string): Promise<Ticket> {
  return apiSend('POST', `${ticketPath(id)}/close`);
}
