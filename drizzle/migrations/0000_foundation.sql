CREATE TABLE "agent_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text DEFAULT 'default' NOT NULL,
	"intent_id" text,
	"task_id" text,
	"workflow_id" text NOT NULL,
	"runtime" text DEFAULT 'pi' NOT NULL,
	"role" text DEFAULT 'worker' NOT NULL,
	"status" text DEFAULT 'starting' NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"worktree_path" text,
	"runtime_session_file" text,
	"pid" integer,
	"tokens_input" integer DEFAULT 0 NOT NULL,
	"tokens_output" integer DEFAULT 0 NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"agent_ms" integer,
	"stop_reason" text,
	"error" text,
	"last_activity_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "intents" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text DEFAULT 'default' NOT NULL,
	"text" text NOT NULL,
	"repo_path" text NOT NULL,
	"base_branch" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"workflow_id" text NOT NULL,
	"result_branch" text,
	"result_commit" text,
	"files_changed" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tokens_input" integer DEFAULT 0 NOT NULL,
	"tokens_output" integer DEFAULT 0 NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"llm_provider" text,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "session_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "swarms" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text DEFAULT 'default' NOT NULL,
	"intent_id" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"plan" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text DEFAULT 'default' NOT NULL,
	"intent_id" text NOT NULL,
	"swarm_id" text,
	"key" text NOT NULL,
	"title" text NOT NULL,
	"prompt" text NOT NULL,
	"role" text DEFAULT 'worker' NOT NULL,
	"runtime" text DEFAULT 'pi' NOT NULL,
	"depends_on" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"branch" text,
	"commit_sha" text,
	"files_changed" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tokens_input" integer DEFAULT 0 NOT NULL,
	"tokens_output" integer DEFAULT 0 NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "worktrees" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text DEFAULT 'default' NOT NULL,
	"session_id" text,
	"repo_path" text NOT NULL,
	"path" text NOT NULL,
	"branch" text NOT NULL,
	"base_ref" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"cleanup_policy" text DEFAULT 'on_success' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD CONSTRAINT "agent_sessions_intent_id_intents_id_fk" FOREIGN KEY ("intent_id") REFERENCES "public"."intents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD CONSTRAINT "agent_sessions_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "swarms" ADD CONSTRAINT "swarms_intent_id_intents_id_fk" FOREIGN KEY ("intent_id") REFERENCES "public"."intents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_intent_id_intents_id_fk" FOREIGN KEY ("intent_id") REFERENCES "public"."intents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_swarm_id_swarms_id_fk" FOREIGN KEY ("swarm_id") REFERENCES "public"."swarms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_sessions_intent_idx" ON "agent_sessions" USING btree ("intent_id");--> statement-breakpoint
CREATE INDEX "agent_sessions_task_idx" ON "agent_sessions" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "intents_tenant_created_idx" ON "intents" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "intents_status_idx" ON "intents" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "session_events_session_seq_idx" ON "session_events" USING btree ("session_id","attempt","seq");--> statement-breakpoint
CREATE INDEX "swarms_intent_idx" ON "swarms" USING btree ("intent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_intent_key_idx" ON "tasks" USING btree ("intent_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "worktrees_path_idx" ON "worktrees" USING btree ("path");