/**
 * An upper bound of an audio file's duration, for the transcription hold (billed per second). Pure byte parsing.
 *
 * A PCM WAV file states its byte rate in its header, so its duration is known exactly. For compressed formats
 * (mp3, m4a, ogg, webm…) the bound assumes a conservative bitrate: the lower the assumed bitrate, the longer the
 * bound, so a real file at any ordinary speech bitrate is never longer than its bound. The bound is capped so that
 * one upload cannot lock an absurd amount.
 */

/** 8 kbit/s: below the bitrate any transcription-grade encoder uses for speech. */
export const CONSERVATIVE_BYTES_PER_SECOND = 1000;
/** No single transcription is held for more than two hours of audio. */
export const MAX_HELD_SECONDS = 7200;

export interface DurationBound {
  /** Whole seconds, rounded up, at least 1. */
  seconds: number;
  source: 'wav-header' | 'bitrate';
}

/** Reads `fmt ` and `data` chunks of a RIFF/WAVE file; undefined when the bytes are not one. */
export function wavDurationSeconds(bytes: Uint8Array): number | undefined {
  if (bytes.length < 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return undefined;
  let byteRate = 0;
  let dataSize: number | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    // fmt body: format(2) channels(2) sample rate(4) byte rate(4)…
    if (id === 'fmt ' && at + 20 <= bytes.length) byteRate = view.getUint32(at + 16, true);
    if (id === 'data') {
      // Streamed WAVs leave the size at 0 or 0xFFFFFFFF: whatever follows the header is the data.
      const rest = bytes.length - (at + 8);
      dataSize = size === 0 || size === 0xffffffff ? rest : Math.min(size, rest);
      break;
    }
    at += 8 + size + (size % 2);
  }
  if (byteRate <= 0 || dataSize === undefined) return undefined;
  return dataSize / byteRate;
}

/** The duration bound of an upload of `bytes`: the WAV header's own duration, or the size at a conservative bitrate. */
export function audioDurationBound(bytes: Uint8Array): DurationBound {
  const wav = wavDurationSeconds(bytes);
  if (wav !== undefined) return { seconds: clamp(Math.ceil(wav)), source: 'wav-header' };
  return { seconds: clamp(Math.ceil(bytes.length / CONSERVATIVE_BYTES_PER_SECOND)), source: 'bitrate' };
}

const clamp = (seconds: number): number => Math.min(MAX_HELD_SECONDS, Math.max(1, seconds));
