CREATE TABLE "deliveries" (
	"key" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"channel" text NOT NULL,
	"kind" text NOT NULL,
	"outcome" text NOT NULL,
	"session_key" text NOT NULL,
	"received_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"seen_count" integer NOT NULL,
	"decision" jsonb
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"v" integer NOT NULL,
	"type" text NOT NULL,
	"run_id" text,
	"workflow_id" text,
	"source" text,
	"delivery_key" text,
	"at" bigint NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"run_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"workflow_version" text,
	"status" text NOT NULL,
	"status_at" bigint NOT NULL,
	"source" text,
	"delivery_key" text,
	"input_summary" text,
	"output" jsonb,
	"error" text,
	"input_tokens" integer,
	"output_tokens" integer,
	"cost_usd" double precision,
	"steps_run" integer,
	"started_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"finished_at" bigint,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', coalesce(input_summary, '') || ' ' || coalesce(output::text, '') || ' ' || coalesce(error, ''))) STORED
);
--> statement-breakpoint
CREATE TABLE "step_attempts" (
	"run_id" text NOT NULL,
	"attempt_id" text NOT NULL,
	"step_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"started_at" bigint,
	"finished_at" bigint,
	"latency_ms" integer,
	"provider" text,
	"model" text,
	"input_tokens" integer,
	"output_tokens" integer,
	"cost_usd" double precision,
	"output" jsonb,
	"error" text,
	CONSTRAINT "step_attempts_run_id_attempt_id_pk" PRIMARY KEY("run_id","attempt_id")
);
--> statement-breakpoint
CREATE INDEX "deliveries_received" ON "deliveries" USING btree ("received_at" DESC NULLS LAST,"key" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "deliveries_source_received" ON "deliveries" USING btree ("source","received_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "events_run_at" ON "events" USING btree ("run_id","at");--> statement-breakpoint
CREATE INDEX "events_type_at" ON "events" USING btree ("type","at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_started" ON "runs" USING btree ("started_at" DESC NULLS LAST,"run_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_status_started" ON "runs" USING btree ("status","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_workflow_started" ON "runs" USING btree ("workflow_id","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_source_started" ON "runs" USING btree ("source","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_search" ON "runs" USING gin ("search");--> statement-breakpoint
CREATE INDEX "step_attempts_step_status" ON "step_attempts" USING btree ("step_id","status","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "step_attempts_model" ON "step_attempts" USING btree ("model","started_at" DESC NULLS LAST);