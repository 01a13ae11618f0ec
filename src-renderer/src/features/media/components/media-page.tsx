import { useCallback, useEffect } from 'react';
import { CopyButton } from '../../../components/copy-button';
import { Dialog } from '../../../components/dialog';
import { PageHeader } from '../../../components/page-header';
import { EmptyState, ErrorState, LoadingState } from '../../../components/states';
import { useCursorList } from '../../../hooks/use-cursor-list';
import { gatewayUrl } from '../../../lib/api-client';
import { formatBytes, formatDateTime, formatRelative } from '../../../lib/format';
import type { MediaItem } from '../../../types/gateway';
import { listMedia, mediaKindOf, type MediaKind } from '../api/media-api';
import { useMediaUiStore } from '../stores/media-ui-store';
import { MediaPreview } from './media-preview';

const KINDS: { id: MediaKind; label: string }[] = [
  { id: '', label: 'All' },
  { id: 'image', label: 'Images' },
  { id: 'audio', label: 'Audio' },
  { id: 'video', label: 'Video' },
];

const KIND_TITLE = { image: 'Image', audio: 'Audio', video: 'Video', file: 'File' } as const;

function Viewer({ item }: { item: MediaItem }) {
  const url = gatewayUrl(item.url);
  return (
    <div className="stack">
      <div className="media-viewer">
        <MediaPreview item={item} large />
      </div>
      <dl className="record">
        <div>
          <dt>File</dt>
          <dd>
            <code>{item.id}</code>
          </dd>
        </div>
        <div>
          <dt>Type</dt>
          <dd>
            {item.content_type} · {formatBytes(item.size_bytes)}
          </dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>{item.model ?? '—'}</dd>
        </div>
        <div>
          <dt>Account</dt>
          <dd>{item.account_name ?? item.account_id}</dd>
        </div>
        <div>
          <dt>Request</dt>
          <dd>{item.request_id ? <code>{item.request_id}</code> : '—'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(item.created_at)}</dd>
        </div>
      </dl>
      <div className="button-row">
        <a className="button" href={url} target="_blank" rel="noreferrer">
          Open file
        </a>
        <CopyButton text={url} label="Copy URL" />
      </div>
      <p className="muted small">Anyone with this URL can download the file: the id is the permission.</p>
    </div>
  );
}

/** Images, audio and video the gateway generated, newest first, with previews. */
export function MediaPage() {
  const { kind, setKind, open, setOpen } = useMediaUiStore();
  const fetchPage = useCallback((cursor: string | null, signal?: AbortSignal) => listMedia(kind, cursor, signal), [kind]);
  const media = useCursorList(fetchPage, { pollMs: 4_000 });
  useEffect(() => () => useMediaUiStore.getState().setOpen(null), []);
  const opened = media.rows.find((m) => m.id === open);

  return (
    <section className="page">
      <PageHeader title="Media" description="Files generated through the gateway (images, speech, video), served at /files/{id}." />
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Media type">
          {KINDS.map((k) => (
            <button key={k.id || 'all'} type="button" aria-pressed={kind === k.id} onClick={() => setKind(k.id)}>
              {k.label}
            </button>
          ))}
        </div>
      </div>
      {media.status === 'loading' && <LoadingState label="Loading media…" />}
      {media.status === 'error' && <ErrorState error={media.error ?? 'Could not load media.'} onRetry={() => void media.refreshHead()} />}
      {media.status === 'ready' && media.rows.length === 0 && (
        <EmptyState title={kind ? `No ${KINDS.find((k) => k.id === kind)?.label.toLowerCase()} yet` : 'No media yet'}>
          Images from <code>/v1/images/generations</code>, speech from <code>/v1/audio/speech</code> and videos from{' '}
          <code>/v1/videos/generations</code> appear here once generated.
        </EmptyState>
      )}
      {media.rows.length > 0 && (
        <>
          <ul className="media-grid" data-testid="media-grid">
            {media.rows.map((item) => (
              <li key={item.id} className="media-card">
                <div className="media-frame">
                  <MediaPreview item={item} />
                </div>
                <div className="media-meta">
                  <span className="badge badge-info">{mediaKindOf(item.content_type)}</span> <span className="small">{item.model ?? 'unknown model'}</span>
                  <div className="muted small">
                    {formatBytes(item.size_bytes)} · {formatRelative(item.created_at)}
                  </div>
                </div>
                <button type="button" className="button-secondary button-small" onClick={() => setOpen(item.id)} aria-label={`Open ${item.id}`}>
                  Open
                </button>
              </li>
            ))}
          </ul>
          <div className="pager">
            {media.nextCursor ? (
              <button type="button" className="button-secondary" onClick={() => void media.loadMore()} disabled={media.loadingMore}>
                {media.loadingMore ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <span className="muted small">{media.rows.length} files</span>
            )}
          </div>
        </>
      )}
      <Dialog open={opened !== undefined} title={opened ? `${KIND_TITLE[mediaKindOf(opened.content_type)]} · ${opened.model ?? opened.id}` : 'Media'} onClose={() => setOpen(null)} wide>
        {opened && <Viewer item={opened} />}
      </Dialog>
    </section>
  );
}
