ALTER TABLE "worktrees" ADD COLUMN "port_base" integer;--> statement-breakpoint
ALTER TABLE "worktrees" ADD COLUMN "snapshot_ref" text;--> statement-breakpoint
CREATE INDEX "worktrees_status_idx" ON "worktrees" USING btree ("status");