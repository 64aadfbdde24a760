CREATE TABLE "session_controls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"request_id" text NOT NULL,
	"kind" text NOT NULL,
	"message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"result" text
);
--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD COLUMN "current_tool" text;--> statement-breakpoint
CREATE UNIQUE INDEX "session_controls_request_idx" ON "session_controls" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "session_controls_pending_idx" ON "session_controls" USING btree ("session_id","delivered_at");