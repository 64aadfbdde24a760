// The planner's reply is untrusted model text: what parsePlanText accepts and how it says no.
import { describe, expect, it } from 'vitest';
import { agentModel } from '../../core/agent-model.js';
import { DEFAULT_ALIASES } from '../../providers/models.js';
import { parsePlanText } from '../../core/plan.js';

const plan = (tasks: unknown[]) => JSON.stringify({ summary: 's', tasks });

describe('plan parsing', () => {
  it('takes the JSON out of prose and fills defaults', () => {
    const r = parsePlanText(
      `Here it is:\n${plan([{ id: 'a', title: 'A', prompt: 'do a', model: 'fast' }])}\nDone.`,
    );
    expect(r.ok && r.plan.tasks[0]).toMatchObject({
      id: 'a',
      role: 'worker',
      runtime: 'pi',
      model: 'fast',
      dependsOn: [],
    });
  });

  it('rejects cycles, unknown dependencies and malformed model names with a clear message', () => {
    const cyclic = parsePlanText(
      plan([
        { id: 'a', title: 'A', prompt: 'p', dependsOn: ['b'] },
        { id: 'b', title: 'B', prompt: 'p', dependsOn: ['a'] },
      ]),
    );
    expect(cyclic.ok ? '' : cyclic.error).toMatch(/dependency cycle: a -> b -> a/);
    const unknown = parsePlanText(plan([{ id: 'a', title: 'A', prompt: 'p', dependsOn: ['z'] }]));
    expect(unknown.ok ? '' : unknown.error).toMatch(/depends on unknown task 'z'/);
    const badModel = parsePlanText(plan([{ id: 'a', title: 'A', prompt: 'p', model: 'rm -rf /' }]));
    expect(badModel.ok ? '' : badModel.error).toMatch(/a model is an alias or a model id/);
  });
});

describe('agent model', () => {
  const aliases = DEFAULT_ALIASES;
  it('resolves an alias to the configured provider, passes it through the proxy as is', () => {
    expect(
      agentModel({ kind: 'rehearsal', model: 'rehearsal-1' }, 'fast', { viaProxy: false, aliases }),
    ).toBe('rehearsal-fast');
    expect(
      agentModel({ kind: 'anthropic', model: 'claude-sonnet-4-5' }, 'fast', { viaProxy: false, aliases }),
    ).toBe('claude-haiku-4-5');
    expect(agentModel({ kind: 'rehearsal', model: 'rehearsal-1' }, 'fast', { viaProxy: true, aliases })).toBe(
      'fast',
    );
    // No alias: the default; an explicit id: that id; an alias the provider cannot serve: the default.
    expect(agentModel({ kind: 'openai', model: 'gpt-4.1' }, undefined, { viaProxy: false, aliases })).toBe(
      'gpt-4.1',
    );
    expect(
      agentModel({ kind: 'openai', model: 'gpt-4.1' }, 'gpt-4o-mini', { viaProxy: false, aliases }),
    ).toBe('gpt-4o-mini');
    expect(agentModel({ kind: 'custom', model: 'local-llm' }, 'smart', { viaProxy: false, aliases })).toBe(
      'local-llm',
    );
  });
});
