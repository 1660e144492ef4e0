CREATE TABLE `dead_events` (
	`id` text PRIMARY KEY NOT NULL,
	`body` text NOT NULL,
	`dead_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dead_events_dead_at` ON `dead_events` (`dead_at`);