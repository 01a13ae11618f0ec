/**
 * Transcription answers in the five `response_format`s of the OpenAI audio API, made locally from one `verbose_json`
 * answer. The gateway asks upstreams for `verbose_json` because only that carries the audio `duration` it bills by;
 * the client still gets the format it asked for.
 */

export type TranscriptionFormat = 'json' | 'text' | 'srt' | 'verbose_json' | 'vtt';
export const TRANSCRIPTION_FORMATS: readonly TranscriptionFormat[] = ['json', 'text', 'srt', 'verbose_json', 'vtt'];

/** A timed piece of a transcript. */
export interface TranscriptSegment {
  start: number;
  end: number;
  text: string;
}

/** The fields of a `verbose_json` answer the conversions need. */
export interface VerboseTranscript {
  text: string;
  duration?: number;
  segments?: TranscriptSegment[];
  [key: string]: unknown;
}

/** A rendered answer: a JSON value or text, and its content type. */
export interface RenderedTranscript {
  contentType: string;
  body: string;
}

/** `hh:mm:ss,mmm` (SRT) or `hh:mm:ss.mmm` (WebVTT). */
export function timestamp(seconds: number, separator: ',' | '.'): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor((totalMs % 3_600_000) / 60_000);
  const secs = Math.floor((totalMs % 60_000) / 1000);
  const ms = totalMs % 1000;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${separator}${pad(ms, 3)}`;
}

/** Segments, or one segment spanning the whole text when the upstream gave none. */
function segmentsOf(t: VerboseTranscript): TranscriptSegment[] {
  if (Array.isArray(t.segments) && t.segments.length > 0) return t.segments;
  return t.text ? [{ start: 0, end: t.duration ?? 0, text: t.text }] : [];
}

/** SubRip: numbered cues separated by blank lines. */
export function toSrt(t: VerboseTranscript): string {
  return segmentsOf(t)
    .map((s, i) => `${i + 1}\n${timestamp(s.start, ',')} --> ${timestamp(s.end, ',')}\n${s.text.trim()}\n`)
    .join('\n');
}

/** WebVTT: the header, then one cue per segment. */
export function toVtt(t: VerboseTranscript): string {
  const cues = segmentsOf(t).map((s) => `${timestamp(s.start, '.')} --> ${timestamp(s.end, '.')}\n${s.text.trim()}\n`);
  return ['WEBVTT\n', ...cues].join('\n');
}

/** Renders a verbose transcript in the client's format. `json` carries the billed duration as OpenAI reports it. */
export function renderTranscript(t: VerboseTranscript, format: TranscriptionFormat): RenderedTranscript {
  const plain = 'text/plain; charset=utf-8';
  switch (format) {
    case 'verbose_json':
      return { contentType: 'application/json', body: JSON.stringify(t) };
    case 'text':
      return { contentType: plain, body: `${t.text}\n` };
    case 'srt':
      return { contentType: plain, body: toSrt(t) };
    case 'vtt':
      return { contentType: plain, body: toVtt(t) };
    case 'json': {
      const usage = typeof t.duration === 'number' ? { usage: { type: 'duration', seconds: Math.ceil(t.duration) } } : {};
      return { contentType: 'application/json', body: JSON.stringify({ text: t.text, ...usage }) };
    }
  }
}

/** Reads a `verbose_json` answer; undefined when it is not one. */
export function parseVerboseTranscript(json: unknown): VerboseTranscript | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const t = json as Record<string, unknown>;
  if (typeof t.text !== 'string') return undefined;
  const segments = Array.isArray(t.segments)
    ? (t.segments as Record<string, unknown>[]).filter((s) => typeof s?.start === 'number' && typeof s?.end === 'number' && typeof s?.text === 'string')
    : undefined;
  const { duration: _duration, segments: _segments, ...rest } = t;
  return {
    ...rest,
    text: t.text,
    ...(typeof t.duration === 'number' && Number.isFinite(t.duration) && t.duration >= 0 ? { duration: t.duration } : {}),
    ...(segments ? { segments: segments as unknown as TranscriptSegment[] } : {}),
  } as VerboseTranscript;
}
