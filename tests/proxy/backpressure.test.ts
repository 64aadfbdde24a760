// A client that reads a stream slowly holds the provider back through the proxy: the proxy stops
// reading the upstream while the client's socket is full, instead of buffering the answer in its
// memory, and the client still gets every byte in order once it reads on.
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog. ';
// Larger than what the sockets between client, proxy and upstream hold while nobody reads.
const TEXT = SENTENCE.repeat(Math.ceil((24 * 1024 * 1024) / SENTENCE.length));

let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness({
    scenarios: [
      {
        name: 'big-answer',
        priority: 10,
        rules: [{ name: 'big', when: { user: '^\\[big\\]' }, steps: [{ text: TEXT, chunkSize: 64 * 1024 }] }],
      },
    ],
  });
  key = await h.mint();
});
afterAll(async () => {
  await h?.close();
});

/** Streams `[big]` through the proxy, reading nothing for `pauseMs` after the first bytes. */
function slowStream(pauseMs: number): Promise<{ body: string; resumedAt: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${h.proxy.url}/proxy/v1/chat/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } },
      (res) => {
        const chunks: Buffer[] = [];
        let resumedAt = 0;
        res.once('data', () => {
          res.pause();
          setTimeout(() => {
            resumedAt = Date.now();
            res.resume();
          }, pauseMs);
        });
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ body: Buffer.concat(chunks).toString('utf8'), resumedAt }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(
      JSON.stringify({
        model: 'gpt-4.1',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: '[big] tell me everything' }],
      }),
    );
  });
}

it('pauses the upstream while the client is not reading, and delivers the whole stream after', async () => {
  const { body, resumedAt } = await slowStream(800);
  const events = body
    .split('\n\n')
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[]; usage?: unknown });
  expect(events.map((e) => e.choices[0]?.delta.content ?? '').join('')).toBe(TEXT);
  expect(events.at(-1)!.usage).toMatchObject({ completion_tokens: expect.any(Number) });
  expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  // The upstream could not hand its whole answer to the OS before the client read on: the proxy
  // had stopped reading it. (Without backpressure it finishes within milliseconds of starting.)
  const upstream = h.upstreamB.requests.find((r) => r.lastUser.startsWith('[big]'))!;
  expect(upstream.flushedAt).toBeGreaterThanOrEqual(resumedAt);
  const [row] = (await h.audit()).filter((r) => r.status === 200 && r.resolvedModel === 'gpt-4.1');
  expect(row).toBeDefined();
}, 60_000);
