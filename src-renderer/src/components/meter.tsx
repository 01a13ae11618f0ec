import { formatCompact } from '../lib/format';

interface MeterProps {
  label: string;
  value: number;
  /** 0 or null = unlimited. */
  limit: number | null | undefined;
  unit?: string;
}

/** Used capacity of a sliding window against its limit (or just the count when unlimited). */
export function Meter({ label, value, limit, unit = '' }: MeterProps) {
  const unlimited = !limit;
  const ratio = unlimited ? 0 : Math.min(1, value / limit);
  const tone = ratio >= 0.9 ? 'danger' : ratio >= 0.7 ? 'warn' : 'ok';
  const text = `${formatCompact(value)}${unit} / ${unlimited ? '∞' : `${formatCompact(limit)}${unit}`}`;
  return (
    <div className="meter" title={`${label}: ${value.toLocaleString('en-US')} of ${unlimited ? 'unlimited' : limit.toLocaleString('en-US')}`}>
      <div className="meter-label">
        <span className="muted">{label}</span>
        <span className="num">{text}</span>
      </div>
      {!unlimited && (
        <div
          className={`meter-track meter-${tone}`}
          role="meter"
          aria-label={label}
          aria-valuemin={0}
          aria-valuemax={limit}
          aria-valuenow={Math.min(value, limit)}
        >
          <div className="meter-fill" style={{ width: `${Math.round(ratio * 100)}%` }} />
        </div>
      )}
    </div>
  );
}
