import { describe, expect, it } from 'vitest';
import { parseByteRange } from '../../../src-gateway/routes/file-routes.js';
import { decodeBase64Input, fetchInputUrl } from '../../../src-gateway/media/fetch-input.js';
import { sniffContentType } from '../../../src-gateway/media/store.js';
import { renderTranscript, timestamp, toSrt, toVtt, parseVerboseTranscript } from '../../../src-gateway/protocols/transcription-formats.js';
import { encodeMultipart } from '../../../src-gateway/providers/multipart.js';
import { makePng, makeWav, parseMultipart } from '../../support/fakes/media-bytes.js';

describe('parseByteRange', () => {
  it('serves single ranges, open ends and suffixes', () => {
    expect(parseByteRange('bytes=0-7', 100)).toEqual({ start: 0, end: 7 });
    expect(parseByteRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=90-500', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
  });

  it('says 416 for ranges past the end, and ignores what it does not serve', () => {
    expect(parseByteRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseByteRange(undefined, 100)).toBeUndefined();
    expect(parseByteRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseByteRange('items=0-1', 100)).toBeUndefined();
    expect(parseByteRange('bytes=5-2', 100)).toBeUndefined();
  });
});

describe('transcription formats', () => {
  const verbose = { text: 'Hello there. General Kenobi!', duration: 4, segments: [{ start: 0, end: 1.71, text: ' Hello there.' }, { start: 1.71, end: 4, text: ' General Kenobi!' }] };

  it('formats SRT and WebVTT timestamps', () => {
    expect(timestamp(3725.5, ',')).toBe('01:02:05,500');
    expect(timestamp(0.0004, '.')).toBe('00:00:00.000');
    expect(toSrt(verbose)).toBe('1\n00:00:00,000 --> 00:00:01,710\nHello there.\n\n2\n00:00:01,710 --> 00:00:04,000\nGeneral Kenobi!\n');
    expect(toVtt(verbose)).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:01.710\nHello there.\n\n00:00:01.710 --> 00:00:04.000\nGeneral Kenobi!\n');
  });

  it('falls back to one cue when there are no segments', () => {
    expect(toSrt({ text: 'Just this.', duration: 2 })).toBe('1\n00:00:00,000 --> 00:00:02,000\nJust this.\n');
  });

  it('renders json with the duration usage, text with a newline', () => {
    expect(JSON.parse(renderTranscript(verbose, 'json').body)).toEqual({ text: verbose.text, usage: { type: 'duration', seconds: 4 } });
    expect(renderTranscript(verbose, 'text')).toEqual({ contentType: 'text/plain; charset=utf-8', body: `${verbose.text}\n` });
  });

  it('reads only well-formed verbose answers', () => {
    expect(parseVerboseTranscript({ text: 'x', duration: 'long' })).toEqual({ text: 'x' });
    expect(parseVerboseTranscript({ duration: 3 })).toBeUndefined();
    expect(parseVerboseTranscript('text')).toBeUndefined();
  });
});

describe('encodeMultipart', () => {
  it('round-trips fields, repeated fields and binary files', () => {
    const png = makePng(3, 3, 9);
    const { contentType, body } = encodeMultipart({ prompt: 'a "quoted"\nprompt', 'timestamp_granularities[]': ['word', 'segment'] }, [
      { field: 'image', filename: 'we"ird.png', contentType: 'image/png', data: png },
    ]);
    const parts = parseMultipart(body, contentType)!;
    expect(parts.map((p) => p.name)).toEqual(['prompt', 'timestamp_granularities[]', 'timestamp_granularities[]', 'image']);
    expect(parts[0]!.data.toString()).toBe('a "quoted"\nprompt');
    expect(parts[3]!.filename).toBe('we%22ird.png');
    expect(parts[3]!.data.equals(png)).toBe(true);
  });
});

describe('media inputs', () => {
  it('sniffs types from magic numbers only', () => {
    expect(sniffContentType(makePng())).toBe('image/png');
    expect(sniffContentType(makeWav(0.1))).toBe('audio/wav');
    expect(sniffContentType(Buffer.from('<html><script>alert(1)</script>'))).toBe('application/octet-stream');
  });

  it('decodes base64 and data: URLs within the cap', () => {
    const png = makePng(2, 2);
    expect(decodeBase64Input(png.toString('base64'), { maxBytes: 1000, param: 'image_base64' }).data.equals(png)).toBe(true);
    const fromDataUrl = decodeBase64Input(`data:image/png;base64,${png.toString('base64')}`, { maxBytes: 1000, param: 'image_base64' });
    expect(fromDataUrl).toMatchObject({ contentType: 'image/png' });
    expect(() => decodeBase64Input(png.toString('base64'), { maxBytes: 10, param: 'image_base64' })).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
    expect(() => decodeBase64Input('not base64!', { maxBytes: 1000, param: 'image_base64' })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('refuses non-http URLs before any network access', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/a.png', 'javascript:alert(1)', 'not a url']) {
      await expect(fetchInputUrl(url, { maxBytes: 10, timeoutMs: 100, param: 'image' })).rejects.toMatchObject({ code: 'invalid_request', param: 'image' });
    }
  });
});
