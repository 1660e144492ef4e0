CREATE TABLE `run_index` (
	`run_id` text PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`status` text NOT NULL,
	`source` text,
	`delivery_key` text,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `run_index_started` ON `run_index` (`started_at`);--> statement-breakpoint
CREATE INDEX `run_index_status` ON `run_index` (`status`,`started_at`);