import { Args, Errors, Flags } from '@oclif/core';
import type { DashEvent } from '../../sdk/client.js';
import { DashCommand, EXIT } from '../base.js';

const INTENT_ID = /^int-[a-z0-9]{10}$/;
const SESSION_ID = /^[a-z0-9-]{1,100}$/;
const ENDED: Record<'intent' | 'session', string[]> = {
  intent: ['completed', 'failed', 'budget_exceeded', 'cancelled'],
  session: ['completed', 'failed', 'cancelled', 'aborted'],
};

export default class Logs extends DashCommand {
  static override summary =
    'Print the events of an intent or an agent session (or all of them); --follow waits for new ones.';
  static override description = `Events come from the live event log (GET /api/v1/events): status changes of the intent, its plan,
tasks and sessions, what each agent does (tools, messages), and proxy requests. One line per event,
or one JSON object per line with --json. With --follow, dash logs keeps printing new events until the
intent (or session) ends, reconnecting by itself if the connection drops; without it, it prints what is
stored and exits. Exit statuses: 0 printed, 2 bad id or flags, 3 Dash unreachable, 4 no such intent
or session.`;
  static override examples = [
    '<%= config.bin %> logs int-abc123defg',
    '<%= config.bin %> logs int-abc123defg --follow',
    '<%= config.bin %> logs int-abc123defg-greet-function --follow --json',
    '<%= config.bin %> logs int-abc123defg --kinds intent.status,task.status',
    '<%= config.bin %> logs int-abc123defg --after 1200 --follow   # resume after event 1200',
    '<%= config.bin %> logs --follow   # everything, as it happens, until Ctrl-C',
  ];
  static override args = {
    id: Args.string({
      description:
        'an intent id (int-…) or an agent session id (see dash agent list); none: every event of your tenant',
      required: false,
    }),
  };
  static override flags = {
    follow: Flags.boolean({
      char: 'f',
      description: 'keep printing new events until the intent or session ends',
      default: false,
    }),
    kinds: Flags.string({
      description:
        'only these event kinds, comma-separated (intent.status, intent.plan, task.added, task.status, session.status, session.event, proxy.request)',
    }),
    after: Flags.integer({ description: 'start after this event id', min: 0 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    const kinds = flags.kinds && { kinds: flags.kinds.split(',').map((k) => k.trim()) };
    if (!args.id) return this.everything(kinds, flags);
    const subject = INTENT_ID.test(args.id) ? 'intent' : 'session';
    if (subject === 'session' && !SESSION_ID.test(args.id))
      throw new Errors.CLIError(
        `'${args.id}' is neither an intent id (int-abc123defg) nor a session id (lowercase letters, digits and dashes).`,
        { exit: EXIT.badInput },
      );
    const client = this.client();
    // Also how an unknown id becomes a clear "not found" (exit 4) before anything streams.
    const status =
      subject === 'intent'
        ? (await client.getIntent(args.id)).status
        : (await client.getAgent(args.id)).status;
    const stop = new AbortController();
    let latest: string | undefined;
    let caughtUp = false;
    const ended = (s: string | undefined) => s !== undefined && ENDED[subject].includes(s);
    const statusKind = `${subject}.status`;
    const ofSubject = (e: DashEvent) =>
      e.kind === statusKind && (subject === 'intent' ? e.intent_id : e.session_id) === args.id;
    for await (const event of client.events({
      filters: {
        ...(subject === 'intent' ? { intent_id: args.id } : { session_id: args.id }),
        ...kinds,
      },
      after: flags.after,
      follow: flags.follow,
      signal: stop.signal,
      onCaughtUp: () => {
        caughtUp = true;
        // What was stored ends with the end of the run (or, for runs older than the event log,
        // the run has ended already): nothing more will come.
        if (ended(latest ?? status)) stop.abort();
      },
      onReconnect: ({ lastId }) => this.progress(`(connection lost; reconnecting after event ${lastId})`),
    })) {
      this.print(event);
      if (ofSubject(event)) {
        latest = String(event.payload.status);
        if (caughtUp && ended(latest)) break;
      }
    }
    // Following a run to its end says how it ended, as dash do does: 1 when it did not complete.
    const final = latest ?? status;
    if (flags.follow && ended(final) && final !== 'completed') {
      this.progress(`${subject} ${args.id} ended ${final}.`);
      this.exit(EXIT.failed);
    }
  }

  /** Every event of the caller's tenant; with --follow, until Ctrl-C. */
  private async everything(
    kinds: { kinds: string[] } | undefined | '',
    flags: { follow: boolean; after?: number },
  ): Promise<void> {
    const stop = new AbortController();
    const interrupt = () => stop.abort();
    process.once('SIGINT', interrupt);
    try {
      for await (const event of this.client().events({
        filters: { ...(kinds || {}) },
        after: flags.after,
        follow: flags.follow,
        signal: stop.signal,
        onReconnect: ({ lastId }) => this.progress(`(connection lost; reconnecting after event ${lastId})`),
      }))
        this.print(event);
    } finally {
      process.off('SIGINT', interrupt);
    }
  }

  private print(e: DashEvent): void {
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify(e)}\n`);
      return;
    }
    this.log(formatEvent(e));
  }
}

/** One line per event: time, id, kind, and what changed. */
export function formatEvent(e: DashEvent): string {
  const p = e.payload as {
    status?: string;
    from?: string;
    error?: string | { code: string; message: string };
    tokens?: { input: number; output: number };
    cost_usd?: number;
    result_branch?: string;
    summary?: string;
    tasks?: { key: string }[];
    key?: string;
    role?: string;
    branch?: string;
    stop_reason?: string;
    type?: string;
    tool?: string;
    text?: string;
    model?: string;
    provider?: string;
    error_code?: string;
    latency_ms?: number;
  };
  const time = e.created_at.slice(11, 23);
  const change = (what: string) => `${what}: ${p.from ? `${p.from} → ` : ''}${p.status}`;
  const error = p.error
    ? `  error: ${typeof p.error === 'string' ? p.error : `${p.error.code}: ${p.error.message}`}`
    : '';
  const tokens = p.tokens
    ? `  ${p.tokens.input + p.tokens.output} tokens, $${Number(p.cost_usd ?? 0).toFixed(4)}`
    : '';
  let text: string;
  switch (e.kind) {
    case 'intent.status':
      text = `${change(`intent ${e.intent_id}`)}${p.result_branch ? `  result ${p.result_branch}` : ''}${tokens}${error}`;
      break;
    case 'intent.plan':
      text = `plan: ${p.summary} (${(p.tasks ?? []).map((t) => t.key).join(', ')})`;
      break;
    case 'task.added':
      text = `task ${p.key} added (${p.role})`;
      break;
    case 'task.status':
      text = `${change(`task ${p.key}`)}${p.branch && p.status === 'running' ? `  ${p.branch}` : ''}${error}`;
      break;
    case 'session.status':
      text = `${change(`session ${e.session_id}`)}${p.stop_reason ? `  (${p.stop_reason})` : ''}${ended(p.status) ? tokens : ''}${error}`;
      break;
    case 'session.event':
      text = `${e.session_id} ${p.type}${p.tool ? ` ${p.tool}` : ''}${p.text ? `: ${p.text}` : ''}`;
      break;
    case 'proxy.request':
      text = `proxy ${p.model} → ${p.provider ?? '-'} ${String(p.status)}${p.error_code ? ` ${p.error_code}` : ''}  ${p.latency_ms ?? '-'} ms${tokens}`;
      break;
    default:
      text = JSON.stringify(p);
  }
  return `${time} #${e.id} ${e.kind.padEnd(14)} ${text}`;
}

function ended(status: unknown): boolean {
  return ['completed', 'failed', 'cancelled', 'aborted'].includes(String(status));
}
