CREATE TABLE `chat` (
	`id` integer PRIMARY KEY NOT NULL,
	`source` text,
	`state` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `chat_actions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`action` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
DROP TABLE `approvals`;--> statement-breakpoint
DROP TABLE `pending`;--> statement-breakpoint
DROP TABLE `session_state`;