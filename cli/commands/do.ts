import path from 'node:path';
import readline from 'node:readline/promises';
import { Args, Errors, Flags } from '@oclif/core';
import type { IntentDetail } from '../../sdk/client.js';
import { DashCommand, EXIT } from '../base.js';
import { LiveTable, taskTable } from '../progress-table.js';
import { apiIsLive, startBackgroundStack } from '../stack-control.js';

export default class Do extends DashCommand {
  static override summary = 'Plan and run an intent: agents work in worktrees and their branches are merged.';
  static override description =
    'Starts the embedded stack in the background when no Dash API is reachable (stop it with `dash down`), submits the intent, shows progress until it ends, then prints the result branch, files changed, tokens, cost and the Temporal Web UI link.';
  static override examples = [
    '<%= config.bin %> do "add a greeting function with tests" --repo ./demo-repo',
    '<%= config.bin %> do "fix the failing test" --repo . --base-branch main --json',
    '<%= config.bin %> do "update the README" --no-wait',
    '<%= config.bin %> do "add OAuth to the API" --gate "npm test" --concurrency 4',
    '<%= config.bin %> do "split the billing module" --approve-plan',
  ];
  static override args = {
    intent: Args.string({ description: 'what you want done, in plain words', required: true }),
  };
  static override flags = {
    repo: Flags.string({ char: 'r', description: 'git repository to work on', default: '.' }),
    'base-branch': Flags.string({
      char: 'b',
      description: 'branch to start from (default: the current branch)',
    }),
    cleanup: Flags.string({
      options: ['immediate', 'on_success', 'delayed', 'manual'],
      description:
        'what happens to each task worktree when its session ends (its branch always stays; removal snapshots it first)',
    }),
    gate: Flags.string({
      description:
        "the repository's test command, run on the merged tree before each merge lands (env DASH_GATE_COMMAND)",
    }),
    concurrency: Flags.integer({
      description: 'agent sessions at once (env DASH_SWARM_CONCURRENCY, default 8)',
      min: 1,
    }),
    'max-fix-attempts': Flags.integer({
      description:
        'times a failing acceptance check goes back to its agent (env DASH_MAX_FIX_ATTEMPTS, default 2)',
      min: 0,
    }),
    budget: Flags.string({
      description: 'stop the swarm when the intent has spent this many dollars (partial work is kept)',
    }),
    'budget-tokens': Flags.integer({
      description: 'stop the swarm after this many tokens (input + output)',
      min: 1,
    }),
    'review-rounds': Flags.integer({
      description:
        'a Reviewer reads each task; its change requests go back to the worker up to this many rounds (env DASH_REVIEW_ROUNDS, default 0: off)',
      min: 0,
      max: 5,
    }),
    'approve-plan': Flags.boolean({
      description:
        'show the plan and wait for approval before any agent starts (asked here on a terminal, else: dash swarm approve <id>)',
    }),
    wait: Flags.boolean({ description: 'follow the intent until it ends', default: true, allowNo: true }),
    'poll-interval': Flags.integer({
      description: 'progress polling interval in ms',
      default: 1000,
      hidden: true,
    }),
  };

  async run(): Promise<IntentDetail | Record<string, unknown>> {
    // `dash swarm create` is this command with other defaults: parse with the class that runs.
    const { args, flags } = await this.parse(this.ctor as typeof Do);
    if (!args.intent.trim())
      this.error('The intent is empty: say what you want done, e.g. dash do "add a login page".', {
        exit: EXIT.badInput,
      });
    const client = this.client();
    if (!(await apiIsLive(client))) {
      if (process.env.DASH_API_URL) {
        this.error(
          `No Dash API answers at ${client.baseUrl} (DASH_API_URL). Start it there, or unset DASH_API_URL to use the embedded stack.`,
          {
            exit: EXIT.unavailable,
          },
        );
      }
      try {
        await startBackgroundStack(this.dashConfig, client, (l) => this.progress(l));
      } catch (err) {
        this.error((err as Error).message, { exit: EXIT.unavailable });
      }
    }
    const ready = await client.ready();
    if (ready.llm === 'rehearsal') {
      this.progress(
        'Note: REHEARSAL provider (scripted, offline) because no provider key is set; see README "Real providers".',
      );
    }
    const created = await client.createIntent({
      intent: args.intent,
      repo: path.resolve(flags.repo),
      ...(flags['base-branch'] && { base_branch: flags['base-branch'] }),
      ...(flags.cleanup && { cleanup: flags.cleanup as 'immediate' | 'on_success' | 'delayed' | 'manual' }),
      ...(flags.gate && { gate: flags.gate }),
      ...(flags.concurrency && { concurrency: flags.concurrency }),
      ...(flags['max-fix-attempts'] !== undefined && { max_fix_attempts: flags['max-fix-attempts'] }),
      ...(flags['review-rounds'] !== undefined && { review_rounds: flags['review-rounds'] }),
      ...((flags.budget !== undefined || flags['budget-tokens'] !== undefined) && {
        budget: {
          ...(flags.budget !== undefined && { usd: Number(flags.budget) }),
          ...(flags['budget-tokens'] !== undefined && { tokens: flags['budget-tokens'] }),
        },
      }),
      ...(flags['approve-plan'] && { approve_plan: true }),
    });
    this.progress(`Intent ${created.id} accepted for ${created.repo} (${created.base_branch}).`);
    this.progress(`Temporal Web UI: ${created.web_ui_url}`);
    if (!flags.wait) return { ...created };
    const final = await this.follow(created.id, flags['poll-interval']);
    if (final.status !== 'completed') {
      const why = final.error ? `${final.error.code}: ${final.error.message}` : final.status;
      if (this.jsonEnabled()) {
        this.logJson(final);
      }
      throw new Errors.CLIError(
        `Intent ${final.id} ${final.status}: ${why}\nInspect it in the Temporal Web UI: ${final.web_ui_url}`,
        {
          exit: EXIT.failed,
        },
      );
    }
    if (!this.jsonEnabled()) this.printSummary(final);
    return final;
  }

  private async follow(id: string, intervalMs: number): Promise<IntentDetail> {
    const client = this.client();
    const seen = new Map<string, string>();
    const started = Date.now();
    // A terminal gets one table redrawn in place; pipes and --json get a line per change.
    const live = process.stdout.isTTY && !this.jsonEnabled() ? new LiveTable(process.stdout) : undefined;
    for (;;) {
      const detail = await client.getIntent(id);
      const seconds = Math.round((Date.now() - started) / 1000);
      if (live) live.draw(taskTable(detail, seconds, process.stdout.columns || 100));
      const note = (key: string, value: string, line: string) => {
        if (seen.get(key) === value) return;
        seen.set(key, value);
        if (!live) this.progress(line);
      };
      const elapsed = `${seconds}s`;
      note('status', detail.status, `[${elapsed}] ${describeStatus(detail)}`);
      for (const task of detail.tasks) {
        const extra =
          task.status === 'completed'
            ? ` (${task.files_changed.length} file(s), ${task.tokens.input + task.tokens.output} tokens)`
            : task.status === 'failed' && task.error
              ? ` (${task.error.message})`
              : task.session && task.session.attempt > 1
                ? ` (attempt ${task.session.attempt})`
                : '';
        note(
          `task:${task.key}`,
          `${task.status}:${task.session?.attempt ?? 0}`,
          `[${elapsed}]   task ${task.key}: ${task.status}${extra} - ${task.title}`,
        );
      }
      if (detail.status === 'awaiting_approval' && !seen.has('plan')) {
        seen.set('plan', 'shown');
        live?.release();
        await this.askApproval(detail);
      }
      if (['completed', 'failed', 'budget_exceeded', 'cancelled'].includes(detail.status)) return detail;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** Shows the plan; on a terminal asks for the decision, else says how to give it. */
  private async askApproval(detail: IntentDetail): Promise<void> {
    this.progress(`Plan of ${detail.id}, waiting for approval (no agent has started):`);
    for (const t of detail.tasks) {
      const after = t.depends_on.length ? ` (after ${t.depends_on.join(', ')})` : '';
      this.progress(`  ${t.key}: ${t.title}${after}`);
    }
    if (!process.stdin.isTTY || this.jsonEnabled()) {
      this.progress(`Approve it with: dash swarm approve ${detail.id}   (or --reject --reason "...")`);
      return;
    }
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    const answer = (await rl.question('Run this plan? [y/N] ')).trim().toLowerCase();
    rl.close();
    await this.client().decidePlan(detail.id, answer === 'y' || answer === 'yes', 'answered at the prompt');
  }

  private printSummary(final: IntentDetail): void {
    const priceNote = final.llm === 'rehearsal' ? ' (rehearsal prices)' : '';
    this.log('');
    this.log(`Intent ${final.id} completed.`);
    this.log(
      `  Result branch: ${final.result_branch} (${final.result_commit?.slice(0, 10)}) in ${final.repo}`,
    );
    this.log(`  Files changed: ${final.files_changed.length ? final.files_changed.join(', ') : '(none)'}`);
    this.log(`  Tokens:        ${final.tokens.total} (${final.tokens.input} in, ${final.tokens.output} out)`);
    this.log(`  Cost:          $${final.cost_usd.toFixed(4)}${priceNote}`);
    this.log(`  Web UI:        ${final.web_ui_url}`);
    this.log(`  Next:          git -C ${final.repo} diff ${final.base_branch}...${final.result_branch}`);
  }
}

function describeStatus(d: IntentDetail): string {
  switch (d.status) {
    case 'planning':
      return 'planning: asking the model to split the intent into tasks...';
    case 'running':
      return `running ${d.tasks.length} task(s) in separate worktrees`;
    case 'merging':
      return 'merging task branches into the result branch';
    case 'awaiting_approval':
      return 'planned: waiting for the plan to be approved';
    case 'paused':
      return `paused: no agent runs until dash swarm resume ${d.id}`;
    default:
      return d.status;
  }
}
