CREATE TABLE `deliveries` (
	`key` text PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`channel` text NOT NULL,
	`kind` text NOT NULL,
	`outcome` text NOT NULL,
	`received_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`seen_count` integer DEFAULT 1 NOT NULL,
	`last_seen_at` integer NOT NULL,
	`event` text NOT NULL
, `decision` text);
--> statement-breakpoint
CREATE INDEX `deliveries_expires_at` ON `deliveries` (`expires_at`);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL
, `kind` text DEFAULT 'index' NOT NULL);
--> statement-breakpoint
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
