CREATE TABLE "api_idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer,
	"response_body" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
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
CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"result_ref" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key")
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
CREATE TABLE "webhook_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"delivery_id" text NOT NULL,
	"attempt_no" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"status_code" integer,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"endpoint_id" text NOT NULL,
	"origin" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempt_count" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_status_code" integer,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhook_deliveries_status_ck" CHECK ("webhook_deliveries"."status" in ('pending','delivered','failed'))
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"event_types" text[],
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp with time zone,
	"status" text DEFAULT 'enabled' NOT NULL,
	"failing_since" timestamp with time zone,
	"disabled_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhook_endpoints_status_ck" CHECK ("webhook_endpoints"."status" in ('enabled','disabled'))
);
--> statement-breakpoint
ALTER TABLE "charge_attempts" DROP CONSTRAINT "charge_attempts_status_ck";--> statement-breakpoint
ALTER TABLE "invoices" DROP CONSTRAINT "invoices_status_ck";--> statement-breakpoint
DROP INDEX "invoices_subscription_period_uq";--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "payment_method_id" text;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "kind" text DEFAULT 'charge' NOT NULL;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "outcome_class" text;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "reattempt" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "respond_by" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "next_check_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "last_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD COLUMN "unresolved_alerted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "gateway_notifications" ADD COLUMN "order_amount" text;--> statement-breakpoint
ALTER TABLE "gateway_notifications" ADD COLUMN "order_currency" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "first_failed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "dunning_ends_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "refusal_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "parked_code" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "action_url" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "action_deadline" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "next_step_reason" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "kind" text DEFAULT 'cycle' NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "lines" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "amount_refunded" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "unused_credited_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payment_methods" ADD COLUMN "detached_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "dunning_policy" jsonb;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "pending_plan_id" text;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "credit_balance" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "resume_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "coupon_id" text;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "coupon_periods_left" integer;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "trial_will_end_sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_attempt_id_charge_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "public"."charge_attempts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_idempotency_keys_completed_ix" ON "api_idempotency_keys" USING btree ("completed_at");--> statement-breakpoint
CREATE INDEX "refunds_invoice_ix" ON "refunds" USING btree ("invoice_id");--> statement-breakpoint
CREATE INDEX "refunds_attempt_ix" ON "refunds" USING btree ("attempt_id");--> statement-breakpoint
CREATE INDEX "refunds_open_ix" ON "refunds" USING btree ("status","last_sent_at") WHERE "refunds"."status" in ('requested','pending');--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_attempts_delivery_attempt_uq" ON "webhook_attempts" USING btree ("delivery_id","attempt_no");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_event_endpoint_uq" ON "webhook_deliveries" USING btree ("event_id","endpoint_id") WHERE "webhook_deliveries"."origin" = 'event';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_ix" ON "webhook_deliveries" USING btree ("next_attempt_at","id") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event_ix" ON "webhook_deliveries" USING btree ("event_id");--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_pending_plan_id_plans_id_fk" FOREIGN KEY ("pending_plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "charge_attempts_reconcile_ix" ON "charge_attempts" USING btree ("next_check_at","last_checked_at") WHERE "charge_attempts"."status" in ('started','unknown','pending');--> statement-breakpoint
CREATE INDEX "charge_attempts_payment_method_ix" ON "charge_attempts" USING btree ("payment_method_id","created_at");--> statement-breakpoint
CREATE INDEX "invoices_action_deadline_ix" ON "invoices" USING btree ("action_deadline") WHERE "invoices"."action_deadline" is not null;--> statement-breakpoint
CREATE INDEX "invoices_dunning_ends_ix" ON "invoices" USING btree ("dunning_ends_at") WHERE "invoices"."dunning_ends_at" is not null;--> statement-breakpoint
CREATE INDEX "subscriptions_resume_ix" ON "subscriptions" USING btree ("resume_at") WHERE "subscriptions"."resume_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_subscription_period_uq" ON "invoices" USING btree ("subscription_id","period_start") WHERE "invoices"."kind" = 'cycle';--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD CONSTRAINT "charge_attempts_kind_ck" CHECK ("charge_attempts"."kind" in ('charge','pay_link'));--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD CONSTRAINT "charge_attempts_status_ck" CHECK ("charge_attempts"."status" in ('started','unknown','pending','succeeded','failed','not_charged','abandoned'));--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_kind_ck" CHECK ("invoices"."kind" in ('cycle','proration'));--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_refunded_ck" CHECK ("invoices"."amount_refunded" >= 0 and "invoices"."amount_refunded" <= "invoices"."amount");--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_status_ck" CHECK ("invoices"."status" in ('open','requires_action','paid','void','uncollectible'));--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_credit_nonneg" CHECK ("subscriptions"."credit_balance" >= 0);