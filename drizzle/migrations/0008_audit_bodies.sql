ALTER TABLE "proxy_requests" ADD COLUMN "request_body" text;--> statement-breakpoint
ALTER TABLE "proxy_requests" ADD COLUMN "response_body" text;