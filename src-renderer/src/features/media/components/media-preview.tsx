import { gatewayUrl } from '../../../lib/api-client';
import type { MediaItem } from '../../../types/gateway';
import { mediaKindOf } from '../api/media-api';

/** The file itself: an image, an audio or a video player, or a plain link for anything else. */
export function MediaPreview({ item, large }: { item: MediaItem; large?: boolean }) {
  const src = gatewayUrl(item.url);
  const label = `${item.model ?? 'Generated'} ${mediaKindOf(item.content_type)}, ${item.id}`;
  switch (mediaKindOf(item.content_type)) {
    case 'image':
      return <img className={large ? 'media-large' : 'media-thumb'} src={src} alt={label} loading="lazy" />;
    case 'audio':
      return <audio className="media-audio" src={src} controls preload="metadata" aria-label={label} />;
    case 'video':
      return <video className={large ? 'media-large' : 'media-thumb'} src={src} controls={large} muted preload="metadata" aria-label={label} />;
    default:
      return (
        <a href={src} target="_blank" rel="noreferrer">
          Download {item.content_type}
        </a>
      );
  }
}
