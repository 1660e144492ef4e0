DROP INDEX "deliveries_received";--> statement-breakpoint
DROP INDEX "deliveries_source_received";--> statement-breakpoint
DROP INDEX "runs_started";--> statement-breakpoint
DROP INDEX "runs_status_started";--> statement-breakpoint
DROP INDEX "runs_workflow_started";--> statement-breakpoint
DROP INDEX "runs_source_started";--> statement-breakpoint
CREATE INDEX "deliveries_received" ON "deliveries" USING btree ("received_at" DESC NULLS FIRST,"key" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "deliveries_source_received" ON "deliveries" USING btree ("source","received_at" DESC NULLS FIRST,"key" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "runs_started" ON "runs" USING btree ("started_at" DESC NULLS FIRST,"run_id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "runs_status_started" ON "runs" USING btree ("status","started_at" DESC NULLS FIRST,"run_id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "runs_workflow_started" ON "runs" USING btree ("workflow_id","started_at" DESC NULLS FIRST,"run_id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "runs_source_started" ON "runs" USING btree ("source","started_at" DESC NULLS FIRST,"run_id" DESC NULLS FIRST);