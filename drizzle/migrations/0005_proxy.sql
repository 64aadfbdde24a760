CREATE TABLE "proxy_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"key_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"name" text,
	"tenant_id" text DEFAULT 'default' NOT NULL,
	"user_id" text NOT NULL,
	"session_id" text,
	"swarm_id" text,
	"intent_id" text,
	"rpm" integer,
	"tpm" integer,
	"daily_budget_usd" double precision,
	"monthly_budget_usd" double precision,
	"intent_budget_usd" double precision,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "proxy_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "proxy_requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"auth_kind" text NOT NULL,
	"key_id" text,
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"session_id" text,
	"swarm_id" text,
	"intent_id" text,
	"surface" text NOT NULL,
	"requested_model" text NOT NULL,
	"resolved_model" text,
	"provider" text,
	"stream" boolean NOT NULL,
	"status" integer NOT NULL,
	"error_code" text,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cache_read_tokens" integer DEFAULT 0 NOT NULL,
	"cache_write_tokens" integer DEFAULT 0 NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"latency_ms" integer NOT NULL,
	"ttft_ms" integer,
	"cache_hit" boolean DEFAULT false NOT NULL,
	"pii_counts" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "proxy_keys_session_idx" ON "proxy_keys" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "proxy_keys_user_idx" ON "proxy_keys" USING btree ("tenant_id","user_id");--> statement-breakpoint
CREATE INDEX "proxy_requests_at_idx" ON "proxy_requests" USING btree ("at");--> statement-breakpoint
CREATE INDEX "proxy_requests_user_idx" ON "proxy_requests" USING btree ("tenant_id","user_id","at");--> statement-breakpoint
CREATE INDEX "proxy_requests_intent_idx" ON "proxy_requests" USING btree ("intent_id");--> statement-breakpoint
CREATE INDEX "proxy_requests_request_idx" ON "proxy_requests" USING btree ("request_id");