// The incremental SSE parser the proxy decodes upstream streams with: however the network splits
// the bytes (inside a line, a CRLF or a multi-byte character), the messages are those of the whole.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from '../../providers/sse.js';

const bytes = (s: string) => new TextEncoder().encode(s);

function parseIn(chunks: Uint8Array[]): SseMessage[] {
  const parser = new SseParser();
  const out: SseMessage[] = [];
  for (const c of chunks) out.push(...parser.push(c));
  out.push(...parser.end());
  return out;
}

const STREAM =
  'event: message_start\ndata: {"a":"é"}\n\n' +
  ': a comment\r\ndata: line one\r\ndata: line two\r\n\r\n' +
  'data:no space\n\n\n' +
  'event: ping\n\n' +
  'data: {"text":"日本語 ✓"}\n\n' +
  'data: [DONE]';

const EXPECTED: SseMessage[] = [
  { event: 'message_start', data: '{"a":"é"}' },
  { event: undefined, data: 'line one\nline two' },
  { event: undefined, data: 'no space' },
  { event: undefined, data: '{"text":"日本語 ✓"}' },
  { event: undefined, data: '[DONE]' },
];

describe('SseParser', () => {
  it('parses a whole body: events, multi-line data, CRLF, comments, no trailing blank line', () => {
    expect(parseIn([bytes(STREAM)])).toEqual(EXPECTED);
  });

  it('gives the same messages however the bytes are split', () => {
    const all = bytes(STREAM);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: all.length - 1 }), { maxLength: 12 }), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), all.length];
        const chunks = at.slice(1).map((end, i) => all.subarray(at[i], end));
        expect(parseIn(chunks)).toEqual(EXPECTED);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('returns the messages each chunk completes, in order, as the chunks come', () => {
    const parser = new SseParser();
    expect(parser.push(bytes('data: 1\n\ndata: 2\n'))).toEqual([{ event: undefined, data: '1' }]);
    expect(parser.push(bytes('\ndata: 3'))).toEqual([{ event: undefined, data: '2' }]);
    expect(parser.end()).toEqual([{ event: undefined, data: '3' }]);
  });
});
