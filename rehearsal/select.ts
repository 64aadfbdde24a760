// Chooses the answer for a request, statelessly: the rule comes from a marker or from matching
// the system prompt and last user message; the step is the number of assistant turns since that
// user message. Retries, resumed sessions and replays therefore get the same answers.
import type { LoadedScenario, Rule, Step } from './scenario.js';

export interface NormalizedRequest {
  system: string;
  lastUser: string;
  assistantTurnsSinceUser: number;
  hasTools: boolean;
}

export interface Selection {
  rule: Rule | undefined;
  step: Step;
  stepIndex: number;
  user: string;
}

const MARKER = /\[rehearsal:([A-Za-z0-9_-]+)\]/;

export function select(scenarios: LoadedScenario[], req: NormalizedRequest): Selection {
  const marker = MARKER.exec(req.lastUser)?.[1];
  const user = req.lastUser.replace(MARKER, '').trim();
  const rules = scenarios.flatMap((s) => s.rules);
  const rule = marker ? rules.find((r) => r.name === marker) : rules.find((r) => matches(r, req));
  if (!rule) {
    const text = req.hasTools ? 'rehearsal: no scenario rule matched' : '## Summary\nRehearsal summary.';
    return { rule: undefined, step: { text }, stepIndex: req.assistantTurnsSinceUser, user };
  }
  const stepIndex = req.assistantTurnsSinceUser;
  return { rule, step: rule.steps[Math.min(stepIndex, rule.steps.length - 1)]!, stepIndex, user };
}

function matches(rule: Rule, req: NormalizedRequest): boolean {
  const w = rule.when;
  if (w.system !== undefined && !new RegExp(w.system, 'i').test(req.system)) return false;
  if (w.user !== undefined && !new RegExp(w.user, 'i').test(req.lastUser)) return false;
  if (w.hasTools !== undefined && w.hasTools !== req.hasTools) return false;
  return true;
}

/** Fills {{user}}, {{user_json}} and {{user_slug}} in every string of a value. */
export function fill<T>(value: T, user: string): T {
  const json = JSON.stringify(user).slice(1, -1);
  const slug = user
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const sub = (s: string) =>
    s.replaceAll('{{user_json}}', json).replaceAll('{{user_slug}}', slug).replaceAll('{{user}}', user);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return sub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

export const tokensOf = (chars: number) => Math.max(1, Math.ceil(chars / 4));
