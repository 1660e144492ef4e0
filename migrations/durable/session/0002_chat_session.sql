CREATE TABLE `approvals` (
	`token` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`wait_id` text NOT NULL,
	`step_id` text NOT NULL,
	`allowed` text NOT NULL,
	`created_at` integer NOT NULL,
	`answered_at` integer
);
--> statement-breakpoint
CREATE TABLE `pending` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`delivery_key` text NOT NULL,
	`intent` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `session_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`active_run_id` text,
	`active_since` integer,
	`collect_until` integer,
	`collect_hard_until` integer
);
