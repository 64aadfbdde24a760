// Server-sent events in both directions: a parser for upstream bodies (events split across network
// chunks in any way) and the one-line encoders the surfaces use.
export interface SseMessage {
  event: string | undefined;
  data: string;
}

/**
 * An incremental parser: each network chunk in, the messages it completed out. Synchronous, so the
 * proxy can translate a stream chunk by chunk as the socket delivers it (no async hop per chunk).
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';

  push(chunk: Uint8Array): SseMessage[] {
    const buffer = this.buffer + this.decoder.decode(chunk, { stream: true });
    const out: SseMessage[] = [];
    let from = 0;
    for (;;) {
      const lf = buffer.indexOf('\n\n', from);
      const crlf = buffer.indexOf('\r\n\r\n', from);
      const crlfFirst = crlf >= 0 && (lf < 0 || crlf < lf);
      const cut = crlfFirst ? crlf : lf;
      if (cut < 0) break;
      const msg = parseBlock(buffer.slice(from, cut));
      if (msg) out.push(msg);
      from = cut + (crlfFirst ? 4 : 2);
    }
    this.buffer = from ? buffer.slice(from) : buffer;
    return out;
  }

  /** What the body's last bytes held, when it did not end with a blank line. */
  end(): SseMessage[] {
    const msg = parseBlock(this.buffer + this.decoder.decode());
    this.buffer = '';
    return msg ? [msg] : [];
  }
}

export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const parser = new SseParser();
  for await (const chunk of body) yield* parser.push(chunk);
  yield* parser.end();
}

function parseBlock(block: string): SseMessage | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
  }
  return data.length ? { event, data: data.join('\n') } : undefined;
}

export const sseData = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
export const sseEvent = (event: string, data: unknown) =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
