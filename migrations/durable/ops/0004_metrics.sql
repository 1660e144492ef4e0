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
CREATE INDEX `metric_deliveries_expires` ON `metric_deliveries` (`expires_at`);--> statement-breakpoint
CREATE TABLE `metric_marks` (
	`key` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `metric_marks_at` ON `metric_marks` (`at`);--> statement-breakpoint
CREATE TABLE `metric_values` (
	`name` text NOT NULL,
	`labels` text NOT NULL,
	`value` real NOT NULL,
	PRIMARY KEY(`name`, `labels`)
);
