CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text DEFAULT 'default' NOT NULL,
	"kind" text NOT NULL,
	"intent_id" text,
	"session_id" text,
	"payload" jsonb NOT NULL,
	"xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_position_idx" ON "events" USING btree ("xid","id");--> statement-breakpoint
CREATE INDEX "events_intent_idx" ON "events" USING btree ("intent_id","xid","id");--> statement-breakpoint
CREATE INDEX "events_session_idx" ON "events" USING btree ("session_id","xid","id");