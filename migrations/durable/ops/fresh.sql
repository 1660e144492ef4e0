CREATE TABLE `delivery_index` (
	`key` text PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`channel` text NOT NULL,
	`kind` text NOT NULL,
	`outcome` text NOT NULL,
	`session_key` text NOT NULL,
	`received_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`seen_count` integer NOT NULL,
	`last_seen_at` integer NOT NULL
, `decision` text);
--> statement-breakpoint
CREATE INDEX `delivery_index_source_received` ON `delivery_index` (`source`,`received_at`);
--> statement-breakpoint
CREATE INDEX `delivery_index_received` ON `delivery_index` (`received_at`);
--> statement-breakpoint
CREATE INDEX `delivery_index_expires` ON `delivery_index` (`expires_at`);
--> statement-breakpoint
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
CREATE INDEX `run_index_started` ON `run_index` (`started_at`);
--> statement-breakpoint
CREATE INDEX `run_index_status` ON `run_index` (`status`,`started_at`);
--> statement-breakpoint
CREATE TABLE `dead_events` (
	`id` text PRIMARY KEY NOT NULL,
	`body` text NOT NULL,
	`dead_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dead_events_dead_at` ON `dead_events` (`dead_at`);
--> statement-breakpoint
CREATE TABLE `health_probe` (
	`id` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `metric_deliveries` (
	`key` text PRIMARY KEY NOT NULL,
	`seen_count` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `metric_deliveries_expires` ON `metric_deliveries` (`expires_at`);
--> statement-breakpoint
CREATE TABLE `metric_marks` (
	`key` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `metric_marks_at` ON `metric_marks` (`at`);
--> statement-breakpoint
CREATE TABLE `metric_values` (
	`name` text NOT NULL,
	`labels` text NOT NULL,
	`value` real NOT NULL,
	PRIMARY KEY(`name`, `labels`)
);
