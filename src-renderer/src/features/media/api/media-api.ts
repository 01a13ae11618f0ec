import { ApiError, apiGet, withQuery, type ListPage } from '../../../lib/api-client';
import type { MediaItem } from '../../../types/gateway';

export type MediaKind = '' | 'image' | 'audio' | 'video';

/**
 * `GET /admin/api/media`: files the gateway produced, newest first. A gateway without the endpoint answers an
 * empty list, so the page shows its empty state rather than an error.
 */
export async function listMedia(kind: MediaKind, cursor: string | null, signal?: AbortSignal): Promise<ListPage<MediaItem>> {
  try {
    return await apiGet<ListPage<MediaItem>>(withQuery('/admin/api/media', { kind, cursor, limit: 48 }), signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && !cursor) return { object: 'list', data: [], has_more: false, next_cursor: null };
    throw err;
  }
}

export function mediaKindOf(contentType: string): 'image' | 'audio' | 'video' | 'file' {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('audio/')) return 'audio';
  if (contentType.startsWith('video/')) return 'video';
  return 'file';
}
