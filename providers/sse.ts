// Server-sent events in both directions: a parser for upstream bodies (events split across network
// chunks in any way) and the one-line encoders the surfaces use.
export interface SseMessage {
  event: string | undefined;
  data: string;
}

export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  for await (const batch of parseSseBatches(body)) yield* batch;
}

/** The messages completed by each network chunk, as one batch per chunk (none when empty). */
export async function* parseSseBatches(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage[]> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const value of body) {
    buffer += decoder.decode(value, { stream: true });
    const batch: SseMessage[] = [];
    let cut: number;
    while ((cut = boundary(buffer)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^(\r?\n){1,2}/, '');
      const msg = parseBlock(block);
      if (msg) batch.push(msg);
    }
    if (batch.length) yield batch;
  }
  const rest = parseBlock(buffer + decoder.decode());
  if (rest) yield [rest];
}

function boundary(buffer: string): number {
  const lf = buffer.indexOf('\n\n');
  const crlf = buffer.indexOf('\r\n\r\n');
  if (lf < 0) return crlf;
  if (crlf < 0) return lf;
  return Math.min(lf, crlf);
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
