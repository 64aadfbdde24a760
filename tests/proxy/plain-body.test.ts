// The zod-free fast path for common bodies: whatever it accepts, the surface's schema accepts
// and decodes to the same internal request; whatever the schema refuses, it refuses too.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RoutingSchema } from '../../proxy/router.js';
import { anthropicSurface, openAiSurface, type SurfaceCodec } from '../../proxy/surfaces.js';

const value = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 5000 }),
  fc.double({ min: -1, max: 3, noNaN: true }),
  fc.constant(1e20),
  fc.string({ maxLength: 6 }),
  fc.constant({}),
  fc.constant([]),
  fc.constant({ include_usage: true }),
  fc.constant({ include_usage: 'yes' }),
  fc.constant({ other: 1 }),
);
const weirdMessage = fc.record(
  {
    role: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'bot', 3),
    content: fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constant(null),
      fc.constant([{ type: 'text', text: 'x' }]),
    ),
    tool_call_id: fc.string({ maxLength: 4 }),
    name: fc.string({ maxLength: 4 }),
  },
  { requiredKeys: [] },
);
const message = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      role: fc.constantFrom('system', 'user', 'assistant'),
      content: fc.string({ maxLength: 20 }),
    }),
  },
  { weight: 1, arbitrary: weirdMessage },
);
/** Mostly absent or valid, sometimes anything: the fast path is reached often, and its edges too. */
const param = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: valid },
    { weight: 1, arbitrary: value },
  );
const body = fc.record({
  model: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('gpt-4.1', 'smart') },
    { weight: 1, arbitrary: fc.constantFrom('', 3) },
  ),
  messages: fc.oneof(
    { weight: 8, arbitrary: fc.array(message, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constant('hi') },
  ),
  stream: param(fc.boolean()),
  stream_options: param(fc.constantFrom(null, {}, { include_usage: true }, { include_usage: false })),
  max_tokens: param(fc.integer({ min: 1, max: 5000 })),
  max_completion_tokens: param(fc.integer({ min: 1, max: 5000 })),
  temperature: param(fc.double({ min: 0, max: 2, noNaN: true })),
  top_p: param(fc.double({ min: 0, max: 1, noNaN: true })),
  system: param(fc.string({ maxLength: 10 })),
  tools: fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant([]) },
  ),
  seed: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value }),
});

const strip = (b: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)) as Record<string, unknown>;

function agrees(codec: SurfaceCodec) {
  let plain = 0;
  fc.assert(
    fc.property(body, (raw) => {
      const b = JSON.parse(JSON.stringify(strip(raw))) as Record<string, unknown>;
      const parsed = codec.schema.safeParse(b);
      if (codec.isPlain(b)) {
        plain++;
        expect(parsed.success).toBe(true);
        expect(codec.decode(b)).toEqual(codec.decode(parsed.data));
      }
      if (!parsed.success) expect(codec.isPlain(b)).toBe(false);
    }),
    // A fixed seed, as in tests/api/fuzz.test.ts: the same bodies every run (DASH_FUZZ_SEED explores).
    { numRuns: 3000, seed: Number(process.env.DASH_FUZZ_SEED ?? 20261207) },
  );
  // The generator reaches the fast path often enough for the comparison to mean something (about
  // 1-2% of Anthropic bodies, ~7% of OpenAI's, whose shape is looser).
  expect(plain).toBeGreaterThan(20);
  console.log(`[plain bodies] ${codec.surface}: ${plain} of 3000 generated bodies took the fast path`);
}

describe('plain bodies', () => {
  it('OpenAI: the fast path accepts only what the schema accepts, and decodes it the same', () =>
    agrees(openAiSurface));
  it('Anthropic: the fast path accepts only what the schema accepts, and decodes it the same', () =>
    agrees(anthropicSurface));

  it('takes the common shapes, and an absent routing means the schema defaults', () => {
    expect(
      openAiSurface.isPlain({
        model: 'gpt-4.1',
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hi' },
        ],
      }),
    ).toBe(true);
    expect(
      anthropicSurface.isPlain({
        model: 'smart',
        max_tokens: 100,
        system: 's',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).toBe(true);
    expect(RoutingSchema.parse({})).toEqual({ fallback_allowed: true, strategy: 'fixed' });
  });
});
