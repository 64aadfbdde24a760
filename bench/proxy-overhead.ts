// What the LLM proxy adds over calling the upstream directly, measured in the same run: the
// rehearsal upstream, the proxy (every feature on: virtual-key auth, limits in Redis, PII screening
// of request and response, audit rows to Postgres, OpenAI→internal→OpenAI translation) and, when
// installed, Portkey's OSS gateway each run in their own process; this process is the client.
//
//   npx tsx bench/proxy-overhead.ts            (or after `npm run build`: node dist/bench/proxy-overhead.js)
//
// Environment: BENCH_POSTGRES_URL (admin URL; a scratch database is created and dropped),
// BENCH_REDIS_URL (default redis://127.0.0.1:6379; `none` for in-process limits), BENCH_ROUNDS,
// BENCH_N (requests per round and target), BENCH_WARMUP (unmeasured calls per target first, 3000),
// BENCH_ROUND_SETTLE (unmeasured calls at the start of each round, 100), PORTKEY_DIR (a directory
// where @portkey-ai/gateway 1.15.2 is installed; see bench/README.md), BENCH_FLOOR=1 (also measure
// a featureless pass-through on the same HTTP server and upstream client: the floor).
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import postgres from 'postgres';

const { values: args } = parseArgs({
  options: {
    role: { type: 'string', default: 'client' },
    upstream: { type: 'string' },
    db: { type: 'string' },
    redis: { type: 'string' },
  },
});

const ready = (line: string) => process.stdout.write(`READY ${line}\n`);

async function runUpstream() {
  const { startRehearsalServer } = await import('../rehearsal/server.js');
  const server = await startRehearsalServer({ port: 0 });
  ready(server.url);
}

async function runProxy() {
  const [
    { createApi },
    { createDashServer },
    { loadConfig },
    { openDatabase },
    { mintVirtualKey },
    { createProxyRuntime },
  ] = await Promise.all([
    import('../api/app.js'),
    import('../api/node-listener.js'),
    import('../core/config.js'),
    import('../drizzle/client.js'),
    import('../proxy/auth.js'),
    import('../proxy/runtime.js'),
  ]);
  const config = loadConfig({
    DASH_HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'dash-bench-proxy-')),
    DASH_OPENAI_BASE_URL: `${args.upstream}/v1`,
    DASH_OPENAI_API_KEY: 'sk-bench-upstream-key',
    DASH_PROXY_PII_MODE: 'redact',
    DASH_PROXY_CACHE_MAX_BYTES: '0',
    DASH_PROXY_USER_RPM: '100000000',
    DASH_PROXY_USER_TPM: '1000000000',
    ...(args.redis && args.redis !== 'none' && { DASH_REDIS_URL: args.redis }),
  });
  const database = await openDatabase({ url: args.db, maxConnections: 4 });
  const runtime = createProxyRuntime(config, database);
  // The API's own server, as `dash up` runs it.
  const { listener } = createApi({ database, temporal: new Client(), config, llmKind: 'bench' }, runtime);
  const { key } = await mintVirtualKey(database.db, {
    userId: 'bench',
    rpm: 100_000_000,
    tpm: 1_000_000_000,
  });
  const server = createDashServer(listener);
  server.listen(0, '127.0.0.1', () =>
    ready(`http://127.0.0.1:${(server.address() as { port: number }).port} ${key} ${runtime.limitStoreKind}`),
  );
  process.once('SIGTERM', () => {
    server.close();
    void runtime.close().then(() => database.close().then(() => process.exit(0)));
  });
}

/**
 * The floor any Node proxy pays here: Node's HTTP server and the same upstream client as Dash's,
 * the body forwarded as it came and the answer as it went, no auth, limits, PII, audit or
 * translation. What Dash adds above this is its own work; below it, the machine's.
 */
async function runFloor() {
  const { post, targetOf } = await import('../proxy/http1.js');
  const target = targetOf(`${args.upstream}/v1/chat/completions`);
  const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-upstream-key' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const up = await post(target, headers, Buffer.concat(chunks).toString('utf8'), {});
        if (!up.headers['content-type']?.includes('event-stream')) {
          const text = await up.text();
          res.writeHead(up.statusCode, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          });
          return void res.end(text);
        }
        res.writeHead(up.statusCode, { 'content-type': 'text/event-stream' });
        for await (const b of up) res.write(b);
        res.end();
      })().catch(() => res.destroy());
    });
  });
  server.listen(0, '127.0.0.1', () =>
    ready(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
  );
}

// ---- client side ----

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One request; resolves with [time to first byte, time to last byte] in ms. */
function send(t: Target, body: string): Promise<[number, number]> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      t.url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...t.headers } },
      (res) => {
        let first = 0;
        res.on('data', () => {
          if (!first) first = performance.now() - start;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${t.name}: HTTP ${res.statusCode}`));
          else resolve([first, performance.now() - start]);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (ms: number) => `${ms.toFixed(3)} ms`;

/** How many calls: measured per round and target, and unmeasured before all rounds and in each. */
interface Counts {
  rounds: number;
  n: number;
  warmup: number;
  settle: number;
}

async function sequential(targets: Target[], body: (i: number) => string, counts: Counts) {
  const { rounds, n, warmup, settle } = counts;
  const ttfb = new Map(targets.map((t) => [t.name, [] as number[]]));
  const total = new Map(targets.map((t) => [t.name, [] as number[]]));
  // Every target is warmed up until its JIT and heap settle (a few thousand calls; with 200 the
  // first rounds measured start-up, not the steady state of a long-running gateway).
  for (const t of targets) for (let i = 0; i < warmup; i++) await send(t, body(i));
  for (let r = 0; r < rounds; r++) {
    // Interleaved, order alternating per round, so drift on a shared machine hits every target.
    const order = r % 2 ? [...targets].reverse() : targets;
    for (const t of order) {
      // The first calls after another target's round run slower for every target (~100 calls
      // here: the scheduler and caches settle again), an artefact of interleaving that a gateway
      // under steady traffic never sees; they are sent but not measured, alike for every target.
      for (let i = 0; i < settle; i++) await send(t, body(i));
      for (let i = 0; i < n; i++) {
        const [a, b] = await send(t, body(r * n + i));
        ttfb.get(t.name)!.push(a);
        total.get(t.name)!.push(b);
      }
    }
  }
  const sorted = (m: Map<string, number[]>) =>
    new Map([...m].map(([k, v]) => [k, [...v].sort((x, y) => x - y)]));
  return { ttfb: sorted(ttfb), total: sorted(total) };
}

/** CPU time (user + system) a process has used so far, in ms; undefined where /proc is missing. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in 100 Hz ticks
  } catch {
    return undefined;
  }
}

/** Closed loop: `concurrency` clients each sending as soon as their last answer came. */
async function throughput(t: Target, body: (i: number) => string, concurrency: number, seconds: number) {
  let done = 0;
  let i = 0;
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const [, total] = await send(t, body(i++));
        latencies.push(total);
        done++;
      }
    }),
  );
  return { rps: done / seconds, done, latencies: latencies.sort((a, b) => a - b) };
}

function child(
  cmdArgs: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ proc: ChildProcess; line: string }> {
  // BENCH_PROFILE_DIR: CPU profile of the proxy process, to see where its time goes.
  const profile =
    process.env.BENCH_PROFILE_DIR && cmdArgs.includes('proxy')
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
      : [];
  const proc = spawn(process.execPath, [...process.execArgv, ...profile, process.argv[1]!, ...cmdArgs], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return waitReady(proc, /^READY (.*)$/m);
}

function waitReady(proc: ChildProcess, pattern: RegExp): Promise<{ proc: ChildProcess; line: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve({ proc, line: m[1] ?? m[0] });
    });
    proc.once('exit', (code) =>
      reject(new Error(`child exited (${code}) before it was ready: ${out.slice(-500)}`)),
    );
  });
}

async function startPortkey(upstream: string): Promise<{ proc: ChildProcess; target: Target } | undefined> {
  const dir = process.env.PORTKEY_DIR ?? '/tmp/portkey-bench';
  const script = path.join(dir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (!fs.existsSync(script)) return undefined;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const proc = spawn(process.execPath, [script, `--port=${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: dir,
  });
  proc.stderr!.resume();
  await waitReady(proc, /listening|running|port/i);
  await new Promise((r) => setTimeout(r, 300));
  return {
    proc,
    target: {
      name: 'portkey',
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: {
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `${upstream}/v1`,
        authorization: 'Bearer sk-bench-upstream-key',
      },
    },
  };
}

async function main() {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const n = Number(process.env.BENCH_N ?? 300);
  const warmup = Number(process.env.BENCH_WARMUP ?? 3000);
  const settle = Number(process.env.BENCH_ROUND_SETTLE ?? 100);
  const withFloor = process.env.BENCH_FLOOR === '1';
  const redis = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const dbName = `dash_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${dbName}`);
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  const children: ChildProcess[] = [];
  try {
    const up = await child(['--role', 'upstream']);
    children.push(up.proc);
    const upstream = up.line.trim();
    const px = await child([
      '--role',
      'proxy',
      '--upstream',
      upstream,
      '--db',
      dbUrl.toString(),
      '--redis',
      redis,
    ]);
    children.push(px.proc);
    const [proxyUrl, key, limits] = px.line.trim().split(' ') as [string, string, string];
    const portkey = await startPortkey(upstream);
    if (portkey) children.push(portkey.proc);
    const floor = withFloor ? await child(['--role', 'floor', '--upstream', upstream]) : undefined;
    if (floor) children.push(floor.proc);

    const direct: Target = {
      name: 'direct',
      url: `${upstream}/v1/chat/completions`,
      headers: { authorization: 'Bearer sk-bench-upstream-key' },
    };
    const proxy: Target = {
      name: 'dash',
      url: `${proxyUrl}/proxy/v1/chat/completions`,
      headers: { authorization: `Bearer ${key}` },
    };
    const targets = [
      direct,
      proxy,
      ...(floor ? [{ name: 'floor', url: `${floor.line.trim()}/v1/chat/completions`, headers: {} }] : []),
      ...(portkey ? [portkey.target] : []),
    ];
    const pids: Record<string, number | undefined> = {
      direct: up.proc.pid,
      dash: px.proc.pid,
      floor: floor?.proc.pid,
      portkey: portkey?.proc.pid,
    };
    const chat = (stream: boolean) => (i: number) =>
      JSON.stringify({
        model: 'gpt-4.1',
        ...(stream && { stream: true, stream_options: { include_usage: true } }),
        messages: [
          { role: 'system', content: 'You are a careful assistant.' },
          {
            role: 'user',
            content: `[rehearsal:echo] request ${i}: summarise the design of a small proxy in one line.`,
          },
        ],
      });

    console.log(
      `proxy-overhead: ${os.cpus().length} cores, Node ${process.version}; limits: ${limits}, audit: Postgres, PII: redact, cache: off; ` +
        `${rounds} rounds x ${n} requests per target, interleaved${portkey ? '; Portkey gateway 1.15.2 in the same run' : '; Portkey not installed'}`,
    );
    const report = (title: string, m: Map<string, number[]>) => {
      console.log(`\n${title}`);
      const base = m.get('direct')!;
      for (const t of targets) {
        const s = m.get(t.name)!;
        const added =
          t.name === 'direct'
            ? ''
            : `  added p50 ${fmt(pct(s, 50) - pct(base, 50))}, p95 ${fmt(pct(s, 95) - pct(base, 95))}, p99 ${fmt(pct(s, 99) - pct(base, 99))}; p50 ratio ${(pct(s, 50) / pct(base, 50)).toFixed(2)}`;
        console.log(
          `  ${t.name.padEnd(8)} p50 ${fmt(pct(s, 50))}  p95 ${fmt(pct(s, 95))}  p99 ${fmt(pct(s, 99))}${added}`,
        );
      }
      const dash = m.get('dash');
      const pk = m.get('portkey');
      if (dash && pk)
        console.log(
          `  p50 added, dash / portkey: ${((pct(dash, 50) - pct(base, 50)) / (pct(pk, 50) - pct(base, 50))).toFixed(2)}`,
        );
    };
    const plain = await sequential(targets, chat(false), { rounds, n, warmup, settle });
    report('non-streaming, sequential, keep-alive (time to last byte)', plain.total);
    const streamed = await sequential(targets, chat(true), {
      rounds,
      n: Math.max(50, n >> 1),
      warmup: Math.min(warmup, 500),
      settle,
    });
    report('streaming, sequential: time to first byte', streamed.ttfb);
    report('streaming, sequential: time to last byte', streamed.total);

    console.log(
      '\nthroughput, non-streaming (requests per second, 4 s per point; gateway CPU ms per request)',
    );
    const underLoad = new Map<number, Map<string, number[]>>();
    for (const c of [10, 50]) {
      const rps: Record<string, number> = {};
      const cpu: string[] = [];
      underLoad.set(c, new Map());
      for (const t of targets) {
        const before = cpuMs(pids[t.name]);
        const r = await throughput(t, chat(false), c, 4);
        const after = cpuMs(pids[t.name]);
        rps[t.name] = r.rps;
        underLoad.get(c)!.set(t.name, r.latencies);
        if (before !== undefined && after !== undefined)
          cpu.push(`${t.name} ${((after - before) / r.done).toFixed(3)} ms`);
      }
      const line = targets.map((t) => `${t.name} ${rps[t.name]!.toFixed(0)}`).join(', ');
      const vs = portkey ? `; dash / portkey ${(rps.dash! / rps.portkey!).toFixed(2)}` : '';
      console.log(`  ${c} connections: ${line}; dash / direct ${(rps.dash! / rps.direct!).toFixed(3)}${vs}`);
      if (cpu.length) console.log(`    CPU per request: ${cpu.join(', ')}`);
    }
    // The same runs, per request: what each gateway adds when it is busy.
    for (const [c, m] of underLoad)
      report(`non-streaming, ${c} concurrent connections: latency (time to last byte)`, m);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    agent.destroy();
  }
}

if (args.role === 'upstream') await runUpstream();
else if (args.role === 'proxy') await runProxy();
else if (args.role === 'floor') await runFloor();
else await main();
