// PII: the detectors' recall and precision on a labelled corpus (printed, with floors), then the
// proxy applying them: a blocking tenant's request never reaches the upstream, a redacting tenant's
// request and streamed response are redacted, and only counts reach the audit.
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPii } from '../../proxy/pii.js';
import { startHarness, type Harness } from './harness.js';

interface Labelled {
  text: string;
  kinds: string[];
}
const corpus = JSON.parse(
  fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'pii-corpus.json'), 'utf8'),
) as { texts: Labelled[] };

describe('detectors on the labelled corpus', () => {
  it('finds PII with recall and precision above their floors', () => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    const misses: string[] = [];
    for (const { text, kinds } of corpus.texts) {
      const found = findPii(text).map((m) => m.kind as string);
      const expected = [...kinds];
      for (const k of found) {
        const i = expected.indexOf(k);
        if (i >= 0) {
          tp++;
          expected.splice(i, 1);
        } else {
          fp++;
          misses.push(`false positive ${k}: ${JSON.stringify(text)}`);
        }
      }
      fn += expected.length;
      for (const k of expected) misses.push(`missed ${k}: ${JSON.stringify(text)}`);
    }
    const recall = tp / (tp + fn);
    const precision = tp / (tp + fp);
    const positives = corpus.texts.filter((t) => t.kinds.length).length;
    console.log(
      `[pii corpus] ${corpus.texts.length} texts (${positives} with PII): recall ${(recall * 100).toFixed(1)}%, precision ${(precision * 100).toFixed(1)}% (tp ${tp}, fp ${fp}, fn ${fn})`,
    );
    for (const m of misses) console.log(`[pii corpus]   ${m}`);
    expect(recall).toBeGreaterThanOrEqual(0.9);
    expect(precision).toBeGreaterThanOrEqual(0.9);
  });
});

describe('PII through the proxy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      env: { DASH_PROXY_PII_MODE: 'redact', DASH_PROXY_PII_TENANTS: JSON.stringify({ strict: 'block' }) },
      scenarios: [
        {
          name: 'pii',
          rules: [
            {
              name: 'leak',
              when: { user: '^\\[rehearsal:leak\\]' },
              steps: [
                {
                  text: 'Reach John at john.smith@corp.example or +1 415 555 2671; his card is 4111 1111 1111 1111 and the server is 10.20.30.40. Nothing else.',
                  chunkSize: 5,
                },
              ],
            },
          ],
        },
      ],
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('blocks a request with PII for a blocking tenant before it reaches any upstream', async () => {
    const client = h.openai(await h.mint({ tenantId: 'strict', userId: 'dora' }));
    const before = [h.upstreamA.requests.length, h.upstreamB.requests.length];
    const err = await client.chat.completions
      .create({
        model: 'smart',
        messages: [{ role: 'user', content: 'my card is 4111 1111 1111 1111, mail x@y.org' }],
      })
      .withResponse()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('pii_blocked');
    expect([h.upstreamA.requests.length, h.upstreamB.requests.length]).toEqual(before);
    const rows = (await h.audit()).filter((r) => r.tenantId === 'strict');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 400,
      errorCode: 'pii_blocked',
      piiCounts: { 'request.card': 1, 'request.email': 1 },
    });
    expect(JSON.stringify(rows[0])).not.toContain('4111');
  });

  it('redacts a request for a redacting tenant: the upstream sees placeholders only', async () => {
    const client = h.openai(await h.mint({ tenantId: 'relaxed', userId: 'erin' }));
    const r = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages: [
        { role: 'user', content: '[rehearsal:echo] write to jane.doe@example.com about SSN 123-45-6789' },
      ],
    });
    const seen = h.upstreamB.requests.at(-1)!.lastUser;
    expect(seen).not.toContain('jane.doe@example.com');
    expect(seen).toContain('[REDACTED:EMAIL]');
    expect(seen).toContain('[REDACTED:SSN]');
    expect(r.choices[0]!.message.content).toBe('echo: write to [REDACTED:EMAIL] about SSN [REDACTED:SSN]');
  });

  it('redacts PII in a streamed response even when an entity is split across chunks, and counts it', async () => {
    const client = h.openai(await h.mint({ tenantId: 'relaxed', userId: 'frank' }));
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'claude-sonnet-4-5',
        stream: true,
        messages: [{ role: 'user', content: '[rehearsal:leak] who?' }],
      })
      .withResponse();
    let text = '';
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta.content ?? '';
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toBe(
      'Reach John at [REDACTED:EMAIL] or [REDACTED:PHONE]; his card is [REDACTED:CARD] and the server is [REDACTED:IPV4]. Nothing else.',
    );
    const [row] = await h.audit(response.headers.get('x-request-id')!);
    expect(row!.piiCounts).toEqual({
      'response.email': 1,
      'response.phone': 1,
      'response.card': 1,
      'response.ipv4': 1,
    });
  });

  it('redacts a non-streamed response on the Anthropic surface', async () => {
    const r = await h.anthropic(await h.mint({ tenantId: 'relaxed', userId: 'gus' })).messages.create({
      model: 'gpt-4.1',
      max_tokens: 100,
      messages: [{ role: 'user', content: '[rehearsal:leak] who?' }],
    });
    const text = r.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text).toContain('[REDACTED:CARD]');
    expect(text).not.toMatch(/john\.smith|4111|415 555/);
  });
});

describe('bodies in the audit (DASH_PROXY_AUDIT_BODIES)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      env: {
        DASH_PROXY_AUDIT_BODIES: 'on',
        DASH_PROXY_PII_MODE: 'redact',
        // A tenant whose model sees PII in clear: the stored bodies are redacted all the same.
        DASH_PROXY_PII_TENANTS: JSON.stringify({ open: 'off' }),
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keeps request and response, redacted even where the model saw PII in clear', async () => {
    const client = h.openai(await h.mint({ tenantId: 'open', userId: 'hal' }));
    const { response } = await client.chat.completions
      .create({
        model: 'gpt-4.1',
        messages: [{ role: 'user', content: '[rehearsal:echo] mail kim@example.org the plan' }],
      })
      .withResponse();
    expect(h.upstreamB.requests.at(-1)!.lastUser).toContain('kim@example.org');
    const [row] = await h.audit(response.headers.get('x-request-id')!);
    expect(row!.requestBody).toContain('mail [REDACTED:EMAIL] the plan');
    expect(row!.responseBody).toContain('echo: mail [REDACTED:EMAIL] the plan');
    expect(JSON.parse(row!.responseBody!)).toMatchObject({ finish: 'stop' });
    expect(JSON.stringify(row)).not.toContain('kim@example.org');
  });

  it('keeps what a stream said, as text and tool calls', async () => {
    const client = h.openai(await h.mint({ tenantId: 'acme', userId: 'ida' }));
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'claude-sonnet-4-5',
        stream: true,
        messages: [{ role: 'user', content: '[rehearsal:echo] call 415 555 2671 now' }],
      })
      .withResponse();
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    const [row] = await h.audit(response.headers.get('x-request-id')!);
    expect(JSON.parse(row!.responseBody!)).toEqual({ text, tool_calls: [], finish: 'stop' });
    expect(row!.requestBody).toContain('[REDACTED:PHONE]');
  });

  it('keeps no body when the setting is off (the default)', async () => {
    const off = await startHarness({});
    try {
      const { response } = await off
        .openai(await off.mint({ userId: 'jo' }))
        .chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hello' }] })
        .withResponse();
      const [row] = await off.audit(response.headers.get('x-request-id')!);
      expect(row).toMatchObject({ status: 200, requestBody: null, responseBody: null });
    } finally {
      await off.close();
    }
  });
});
