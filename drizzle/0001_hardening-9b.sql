ALTER TABLE "charge_attempts" ADD COLUMN "respond_by" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "next_check_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "last_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "unresolved_alerted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "gateway_notifications" ADD COLUMN "order_amount" text;--> statement-breakpoint
ALTER TABLE "gateway_notifications" ADD COLUMN "order_currency" text;--> statement-breakpoint
CREATE INDEX "charge_attempts_reconcile_ix" ON "charge_attempts" USING btree ("next_check_at","last_checked_at") WHERE "charge_attempts"."status" in ('started','unknown','pending');