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
);
--> statement-breakpoint
CREATE INDEX `delivery_index_source_received` ON `delivery_index` (`source`,`received_at`);--> statement-breakpoint
CREATE INDEX `delivery_index_received` ON `delivery_index` (`received_at`);--> statement-breakpoint
CREATE INDEX `delivery_index_expires` ON `delivery_index` (`expires_at`);