CREATE TABLE "session_entries" (
	"session_id" text NOT NULL,
	"entry_id" text NOT NULL,
	"parent_id" text,
	"position" integer NOT NULL,
	"type" text NOT NULL,
	"role" text,
	"preview" text NOT NULL,
	"is_leaf" boolean DEFAULT false NOT NULL,
	"entry_at" timestamp with time zone,
	CONSTRAINT "session_entries_session_id_entry_id_pk" PRIMARY KEY("session_id","entry_id")
);
--> statement-breakpoint
CREATE INDEX "session_entries_position_idx" ON "session_entries" USING btree ("session_id","position");