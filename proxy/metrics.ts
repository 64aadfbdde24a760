// Prometheus metrics, derived from the audit rows as they are queued, so every attempt counts once
// and the metrics can never disagree with the audit. Labels are bounded (surface, provider, model,
// status class, token type, error code): no user, key, session or tenant ids, which belong in the
// audit table and /api/v1/usage.
import type { AuditRow } from './audit.js';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Labels = Record<string, string>;

const renderLabels = (l: Labels) =>
  Object.entries(l)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

// Label sets repeat (a handful of surfaces, providers and models), so each is rendered once.
const rendered = new Map<string, string>();
function labelKey(l: Labels): string {
  let raw = '';
  for (const k in l) raw += `${k}\u0000${l[k]}\u0001`;
  let key = rendered.get(raw);
  if (key === undefined) {
    key = renderLabels(l);
    if (rendered.size > 10_000) rendered.clear();
    rendered.set(raw, key);
  }
  return key;
}

class Counter {
  private values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  add(labels: Labels, v = 1) {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + v);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}{${k}} ${v}`);
    return lines.join('\n');
  }
}

class Histogram {
  private series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, v: number) {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { buckets: SECONDS.map(() => 0), sum: 0, count: 0 }));
    SECONDS.forEach((b, i) => {
      if (v <= b) s.buckets[i]!++;
    });
    s.sum += v;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? ',' : '';
      SECONDS.forEach((b, i) => lines.push(`${this.name}_bucket{${k}${sep}le="${b}"} ${s.buckets[i]}`));
      lines.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum{${k}} ${s.sum}`, `${this.name}_count{${k}} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class ProxyMetrics {
  private attempts = new Counter('dash_proxy_attempts_total', 'Upstream attempts by outcome.');
  private refusals = new Counter(
    'dash_proxy_refusals_total',
    'Requests the proxy answered itself with an error (limits, budgets, PII, unavailable providers).',
  );
  private cacheHits = new Counter('dash_proxy_cache_hits_total', 'Requests answered from the cache.');
  private tokens = new Counter(
    'gen_ai_client_token_usage_total',
    'Tokens by type, as reported by providers.',
  );
  private cost = new Counter('dash_proxy_cost_usd_total', 'Dollars spent, by model.');
  private duration = new Histogram(
    'gen_ai_server_request_duration_seconds',
    'Request duration at the proxy.',
  );
  private ttft = new Histogram(
    'gen_ai_server_time_to_first_token_seconds',
    'Time to the first token upstream.',
  );

  observe(row: AuditRow): void {
    const model = row.resolvedModel ?? 'none';
    const provider = row.provider ?? 'none';
    if (row.cacheHit) {
      this.cacheHits.add({ surface: row.surface, model });
      return;
    }
    if (row.attempt === 0) {
      this.refusals.add({
        surface: row.surface,
        code: row.errorCode ?? 'unknown',
        status: String(row.status),
      });
      return;
    }
    const status = `${String(row.status)[0]}xx`;
    this.attempts.add({ surface: row.surface, provider, model, status, error: row.errorCode ?? '' });
    const types = {
      input: row.inputTokens,
      output: row.outputTokens,
      cache_read: row.cacheReadTokens,
      cache_write: row.cacheWriteTokens,
    };
    for (const [type, n] of Object.entries(types)) if (n) this.tokens.add({ provider, model, type }, n);
    if (row.costUsd) this.cost.add({ provider, model }, row.costUsd);
    if (row.status === 200) {
      this.duration.observe(
        { surface: row.surface, provider, stream: String(row.stream) },
        row.latencyMs / 1000,
      );
      if (row.ttftMs != null) this.ttft.observe({ provider, model }, row.ttftMs / 1000);
    }
  }

  render(): string {
    return (
      [this.attempts, this.refusals, this.cacheHits, this.tokens, this.cost, this.duration, this.ttft]
        .map((m) => m.render())
        .join('\n') + '\n'
    );
  }
}
