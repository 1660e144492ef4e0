CREATE TABLE `event_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`first_seq` integer NOT NULL,
	`last_seq` integer NOT NULL,
	`payload` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `relaunches` (
	`run_id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `run` ADD `link_kind` text;--> statement-breakpoint
ALTER TABLE `run` ADD `linked_from` text;