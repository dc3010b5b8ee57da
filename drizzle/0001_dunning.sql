ALTER TABLE "charge_attempts" DROP CONSTRAINT "charge_attempts_status_ck";--> statement-breakpoint
ALTER TABLE "invoices" DROP CONSTRAINT "invoices_status_ck";--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "payment_method_id" text;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "kind" text DEFAULT 'charge' NOT NULL;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "outcome_class" text;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "reattempt" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "first_failed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "dunning_ends_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "refusal_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "parked_code" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "action_url" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "action_deadline" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "next_step_reason" text;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "dunning_policy" jsonb;--> statement-breakpoint
CREATE INDEX "charge_attempts_payment_method_ix" ON "charge_attempts" USING btree ("payment_method_id","created_at");--> statement-breakpoint
CREATE INDEX "invoices_action_deadline_ix" ON "invoices" USING btree ("action_deadline") WHERE "invoices"."action_deadline" is not null;--> statement-breakpoint
CREATE INDEX "invoices_dunning_ends_ix" ON "invoices" USING btree ("dunning_ends_at") WHERE "invoices"."dunning_ends_at" is not null;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD CONSTRAINT "charge_attempts_kind_ck" CHECK ("charge_attempts"."kind" in ('charge','pay_link'));--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD CONSTRAINT "charge_attempts_status_ck" CHECK ("charge_attempts"."status" in ('started','unknown','pending','succeeded','failed','not_charged','abandoned'));--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_status_ck" CHECK ("invoices"."status" in ('open','requires_action','paid','void','uncollectible'));