import type { PriceField } from '../../../types/gateway';

export const PRICE_FIELDS: readonly { field: PriceField; label: string; unit: string }[] = [
  { field: 'input_per_mtok', label: 'Input', unit: '/ 1M tokens' },
  { field: 'cached_input_per_mtok', label: 'Cached input', unit: '/ 1M tokens' },
  { field: 'cache_write_per_mtok', label: 'Cache write', unit: '/ 1M tokens' },
  { field: 'output_per_mtok', label: 'Output', unit: '/ 1M tokens' },
  { field: 'per_image', label: 'Image', unit: '/ image' },
  { field: 'per_second', label: 'Audio/video', unit: '/ second' },
  { field: 'per_1k_chars', label: 'Speech', unit: '/ 1K characters' },
  { field: 'per_1k_searches', label: 'Rerank', unit: '/ 1K searches' },
];

/** The price fields that matter for a modality, first in the editor and shown in the table. */
export function fieldsFor(modality: string): PriceField[] {
  switch (modality) {
    case 'chat':
      return ['input_per_mtok', 'cached_input_per_mtok', 'cache_write_per_mtok', 'output_per_mtok'];
    case 'embedding':
      return ['input_per_mtok'];
    case 'image':
      return ['per_image', 'input_per_mtok', 'output_per_mtok'];
    case 'audio':
      return ['per_second', 'per_1k_chars', 'input_per_mtok', 'output_per_mtok'];
    case 'video':
    case 'music':
      return ['per_second'];
    case 'rerank':
      return ['per_1k_searches'];
    default:
      return PRICE_FIELDS.map((p) => p.field);
  }
}

/** A USD price as typed: `0.15` stays `$0.15`, `0.000002` keeps its digits. */
export function formatPrice(usd: number | undefined): string {
  if (usd === undefined) return '—';
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;
}
