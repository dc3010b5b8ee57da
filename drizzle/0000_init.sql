CREATE TABLE "charge_attempts" (
	"id" text PRIMARY KEY NOT NULL,
	"invoice_id" text NOT NULL,
	"attempt_no" integer NOT NULL,
	"order_no" text NOT NULL,
	"token_type" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"status" text NOT NULL,
	"request_time" timestamp with time zone NOT NULL,
	"trade_no" text,
	"order_info" text,
	"decline_code" text,
	"redirect_url" text,
	"reconcile_checks" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "charge_attempts_order_no_unique" UNIQUE("order_no"),
	CONSTRAINT "charge_attempts_status_ck" CHECK ("charge_attempts"."status" in ('started','unknown','pending','succeeded','failed','not_charged')),
	CONSTRAINT "charge_attempts_token_type_ck" CHECK ("charge_attempts"."token_type" in ('InitRecurring','Recurring'))
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"first_name" text NOT NULL,
	"last_name" text NOT NULL,
	"phone" text,
	"external_ref" text,
	"asiabill_customer_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_external_ref_unique" UNIQUE("external_ref"),
	CONSTRAINT "customers_asiabill_customer_id_unique" UNIQUE("asiabill_customer_id")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"type" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"data" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	CONSTRAINT "events_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "gateway_notifications" (
	"id" text PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"type" text NOT NULL,
	"order_no" text,
	"trade_no" text,
	"order_status" text,
	"request_id" text NOT NULL,
	"raw_body" text NOT NULL,
	"times_received" integer DEFAULT 1 NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"applied_at" timestamp with time zone,
	"result" text,
	CONSTRAINT "gateway_notifications_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"id" text PRIMARY KEY NOT NULL,
	"subscription_id" text NOT NULL,
	"period_index" integer NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"attempt_count" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"paid_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "invoices_status_ck" CHECK ("invoices"."status" in ('open','paid','void','uncollectible')),
	CONSTRAINT "invoices_amount_nonneg" CHECK ("invoices"."amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "payment_methods" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"asiabill_payment_method_id" text NOT NULL,
	"brand" text,
	"last4" char(4),
	"exp_month" char(2),
	"exp_year" char(4),
	"mandate_trade_no" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_methods_asiabill_payment_method_id_unique" UNIQUE("asiabill_payment_method_id")
);
--> statement-breakpoint
CREATE TABLE "plans" (
	"id" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"interval" text NOT NULL,
	"interval_count" integer NOT NULL,
	"trial_days" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plans_amount_nonneg" CHECK ("plans"."amount" >= 0),
	CONSTRAINT "plans_interval_ck" CHECK ("plans"."interval" in ('day','week','month','year')),
	CONSTRAINT "plans_interval_count_ck" CHECK ("plans"."interval_count" > 0),
	CONSTRAINT "plans_trial_days_ck" CHECK ("plans"."trial_days" >= 0),
	CONSTRAINT "plans_status_ck" CHECK ("plans"."status" in ('active','archived'))
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"plan_id" text NOT NULL,
	"payment_method_id" text NOT NULL,
	"status" text NOT NULL,
	"time_zone" text NOT NULL,
	"anchor" timestamp with time zone NOT NULL,
	"interval" text NOT NULL,
	"interval_count" integer NOT NULL,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"current_period_index" integer NOT NULL,
	"current_period_start" timestamp with time zone NOT NULL,
	"current_period_end" timestamp with time zone NOT NULL,
	"next_renewal_at" timestamp with time zone,
	"cancel_at_period_end" boolean DEFAULT false NOT NULL,
	"canceled_at" timestamp with time zone,
	"trial_end" timestamp with time zone,
	"incomplete_expires_at" timestamp with time zone,
	"status_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "subscriptions_status_ck" CHECK ("subscriptions"."status" in ('incomplete','incomplete_expired','trialing','active','past_due','canceled','unpaid','paused'))
);
--> statement-breakpoint
CREATE TABLE "test_clock" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"now" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "test_clock_single_row" CHECK ("test_clock"."id" = 1)
);
--> statement-breakpoint
ALTER TABLE "charge_attempts" ADD CONSTRAINT "charge_attempts_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_methods" ADD CONSTRAINT "payment_methods_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_payment_method_id_payment_methods_id_fk" FOREIGN KEY ("payment_method_id") REFERENCES "public"."payment_methods"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "charge_attempts_invoice_attempt_uq" ON "charge_attempts" USING btree ("invoice_id","attempt_no");--> statement-breakpoint
CREATE UNIQUE INDEX "charge_attempts_one_in_flight_uq" ON "charge_attempts" USING btree ("invoice_id") WHERE "charge_attempts"."status" in ('started','unknown','pending');--> statement-breakpoint
CREATE UNIQUE INDEX "charge_attempts_one_success_uq" ON "charge_attempts" USING btree ("invoice_id") WHERE "charge_attempts"."status" = 'succeeded';--> statement-breakpoint
CREATE INDEX "charge_attempts_open_ix" ON "charge_attempts" USING btree ("status","request_time") WHERE "charge_attempts"."status" in ('started','unknown','pending');--> statement-breakpoint
CREATE INDEX "events_subject_ix" ON "events" USING btree ("subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "events_unpublished_ix" ON "events" USING btree ("seq") WHERE "events"."published_at" is null;--> statement-breakpoint
CREATE INDEX "gateway_notifications_order_ix" ON "gateway_notifications" USING btree ("order_no");--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_subscription_period_uq" ON "invoices" USING btree ("subscription_id","period_start");--> statement-breakpoint
CREATE INDEX "invoices_due_ix" ON "invoices" USING btree ("next_attempt_at","id") WHERE "invoices"."status" = 'open' and "invoices"."next_attempt_at" is not null;--> statement-breakpoint
CREATE INDEX "payment_methods_customer_ix" ON "payment_methods" USING btree ("customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "plans_code_version_uq" ON "plans" USING btree ("code","version");--> statement-breakpoint
CREATE INDEX "subscriptions_next_renewal_ix" ON "subscriptions" USING btree ("next_renewal_at","id") WHERE "subscriptions"."next_renewal_at" is not null;--> statement-breakpoint
CREATE INDEX "subscriptions_incomplete_ix" ON "subscriptions" USING btree ("incomplete_expires_at") WHERE "subscriptions"."status" = 'incomplete';--> statement-breakpoint
CREATE INDEX "subscriptions_customer_ix" ON "subscriptions" USING btree ("customer_id");