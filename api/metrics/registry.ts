// Just enough of the Prometheus text exposition format 0.0.4 for Dash's API: metric families with
// HELP and TYPE, escaped label values, and a histogram. Families are rendered from samples, so a
// gauge read from the database at scrape time and a histogram filled by a middleware render alike.

export type Labels = Record<string, string>;
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface Sample {
  /** `_bucket`, `_sum`, `_count` for histograms; empty otherwise. */
  suffix?: string;
  labels: Labels;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export const formatValue = (v: number) =>
  Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v);

const formatLabels = (labels: Labels) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

export function renderFamily(f: Family): string {
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples)
    lines.push(`${f.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  return lines.join('\n');
}

export const renderFamilies = (families: Family[]) => families.map(renderFamily).join('\n') + '\n';

/** One histogram series: cumulative bucket counts (one per bound), sum and count. */
export interface HistogramSeries {
  labels: Labels;
  /** counts[i] = observations <= bounds[i]. */
  counts: number[];
  sum: number;
  count: number;
}

export function histogramSamples(bounds: readonly number[], series: HistogramSeries[]): Sample[] {
  const out: Sample[] = [];
  for (const s of series) {
    bounds.forEach((b, i) =>
      out.push({ suffix: '_bucket', labels: { ...s.labels, le: String(b) }, value: s.counts[i] ?? 0 }),
    );
    out.push({ suffix: '_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count });
    out.push({ suffix: '_sum', labels: s.labels, value: s.sum });
    out.push({ suffix: '_count', labels: s.labels, value: s.count });
  }
  return out;
}

/** A histogram observed in process; series are created on first observation. */
export class Histogram {
  private series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels, counts: this.bounds.map(() => 0), sum: 0, count: 0 }));
    this.bounds.forEach((b, i) => {
      if (value <= b) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }

  family(): Family {
    return {
      name: this.name,
      type: 'histogram',
      help: this.help,
      samples: histogramSamples(this.bounds, [...this.series.values()]),
    };
  }
}

/** Reads `name{labels} value` lines of a text exposition (no escapes inside label values). */
export function parseSamples(text: string): { name: string; labels: Labels; value: number }[] {
  const out: { name: string; labels: Labels; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}
