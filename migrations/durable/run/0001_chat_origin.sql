CREATE TABLE `steered` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`text` text NOT NULL,
	`received_at` integer NOT NULL,
	`used_by` text
);
--> statement-breakpoint
ALTER TABLE `run` ADD `channel` text;--> statement-breakpoint
ALTER TABLE `run` ADD `chat_id` text;--> statement-breakpoint
ALTER TABLE `run` ADD `session_key` text;--> statement-breakpoint
ALTER TABLE `run` ADD `sender_id` text;