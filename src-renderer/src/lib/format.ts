/**
 * Display formatting shared by every page. Money arrives as integer micro-USD and is shown exactly (no float
 * rounding beyond the sixth decimal it already has); times arrive as unix seconds or milliseconds.
 */

const MICROS_PER_USD = 1_000_000;

/** `435` → `$0.000435`, `5000000` → `$5.00`, `-1500` → `-$0.0015`. At least two decimals, at most six, exact. */
export function formatUsd(micros: number | null | undefined): string {
  if (micros === null || micros === undefined || !Number.isFinite(micros)) return '—';
  const negative = micros < 0;
  const abs = Math.abs(Math.round(micros));
  const whole = Math.floor(abs / MICROS_PER_USD);
  let fraction = String(abs % MICROS_PER_USD).padStart(6, '0').replace(/0+$/, '');
  if (fraction.length < 2) fraction = fraction.padEnd(2, '0');
  return `${negative ? '-' : ''}$${whole.toLocaleString('en-US')}.${fraction}`;
}

/** A compact USD amount for chart axes: `$0.0012`, `$1.20`, `$1.2K`. */
export function formatUsdShort(micros: number): string {
  const usd = micros / MICROS_PER_USD;
  if (usd === 0) return '$0';
  if (Math.abs(usd) >= 1000) return `$${(usd / 1000).toFixed(1)}K`;
  if (Math.abs(usd) >= 1) return `$${usd.toFixed(2)}`;
  return `$${Number(usd.toPrecision(2))}`;
}

/**
 * Parses a USD amount typed by a person (`"12.5"`, `"-0.25"`, `"$1,000"`) into integer micros without going through
 * floating point. Returns undefined when it is not a plain amount with at most six decimals.
 */
export function usdToMicros(text: string, { allowNegative = false } = {}): number | undefined {
  const cleaned = text.trim().replace(/^\$/, '').replace(/,/g, '');
  const match = /^(-)?(\d+)(?:\.(\d{0,6}))?$|^(-)?\.(\d{1,6})$/.exec(cleaned);
  if (!match) return undefined;
  const negative = Boolean(match[1] ?? match[4]);
  if (negative && !allowNegative) return undefined;
  const whole = match[2] ?? '0';
  const fraction = (match[3] ?? match[5] ?? '').padEnd(6, '0');
  const micros = Number(whole) * MICROS_PER_USD + Number(fraction);
  if (!Number.isSafeInteger(micros)) return undefined;
  return negative ? -micros : micros;
}

/** `679` → `679 ms`, `1234` → `1.23 s`, `75000` → `1m 15s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** `1234` → `1,234`. */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US');
}

/** `1234` → `1.2K`, `2500000` → `2.5M`. */
export function formatCompact(value: number): string {
  return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

/** `2048` → `2.0 KB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A gateway timestamp (unix seconds or milliseconds) as a Date. */
export function toDate(value: number): Date {
  return new Date(value < 1e12 ? value * 1000 : value);
}

/** `2026-11-27 13:46:29` in local time. */
export function formatDateTime(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const d = toDate(value);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `13:46:29` in local time. */
export function formatTime(value: number): string {
  return toDate(value).toLocaleTimeString('en-GB', { hour12: false });
}

/** `just now`, `5 s ago`, `3 min ago`, `2 h ago`, then the date. */
export function formatRelative(value: number | null | undefined, now = Date.now()): string {
  if (value === null || value === undefined) return '—';
  const seconds = Math.round((now - toDate(value).getTime()) / 1000);
  if (seconds < 0) return `in ${formatDuration(-seconds * 1000)}`;
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return formatDateTime(value);
}
