CREATE TABLE "coupons" (
	"id" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"percent_off_bp" integer,
	"amount_off" bigint,
	"currency" char(3),
	"duration" text NOT NULL,
	"duration_periods" integer,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "coupons_code_unique" UNIQUE("code"),
	CONSTRAINT "coupons_duration_ck" CHECK ("coupons"."duration" in ('once','repeating','forever')),
	CONSTRAINT "coupons_one_kind_ck" CHECK (("coupons"."percent_off_bp" is null) <> ("coupons"."amount_off" is null) and ("coupons"."amount_off" is null) = ("coupons"."currency" is null))
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"invoice_id" text NOT NULL,
	"attempt_id" text NOT NULL,
	"trade_no" text NOT NULL,
	"mer_track_no" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"full" boolean NOT NULL,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"batch_no" text,
	"failure_reason" text,
	"last_sent_at" timestamp with time zone,
	"send_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "refunds_mer_track_no_unique" UNIQUE("mer_track_no"),
	CONSTRAINT "refunds_amount_pos" CHECK ("refunds"."amount" > 0),
	CONSTRAINT "refunds_status_ck" CHECK ("refunds"."status" in ('requested','pending','succeeded','failed'))
);
--> statement-breakpoint
DROP INDEX "invoices_subscription_period_uq";--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "kind" text DEFAULT 'cycle' NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "lines" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "amount_refunded" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "unused_credited_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payment_methods" ADD COLUMN "detached_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "pending_plan_id" text;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "credit_balance" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "resume_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "coupon_id" text;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "coupon_periods_left" integer;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "trial_will_end_sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_attempt_id_charge_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "public"."charge_attempts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "refunds_invoice_ix" ON "refunds" USING btree ("invoice_id");--> statement-breakpoint
CREATE INDEX "refunds_attempt_ix" ON "refunds" USING btree ("attempt_id");--> statement-breakpoint
CREATE INDEX "refunds_open_ix" ON "refunds" USING btree ("status","last_sent_at") WHERE "refunds"."status" in ('requested','pending');--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_pending_plan_id_plans_id_fk" FOREIGN KEY ("pending_plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "subscriptions_resume_ix" ON "subscriptions" USING btree ("resume_at") WHERE "subscriptions"."resume_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_subscription_period_uq" ON "invoices" USING btree ("subscription_id","period_start") WHERE "invoices"."kind" = 'cycle';--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_kind_ck" CHECK ("invoices"."kind" in ('cycle','proration'));--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_refunded_ck" CHECK ("invoices"."amount_refunded" >= 0 and "invoices"."amount_refunded" <= "invoices"."amount");--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_credit_nonneg" CHECK ("subscriptions"."credit_balance" >= 0);