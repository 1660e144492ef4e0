CREATE TABLE `attempts` (
	`attempt_id` text PRIMARY KEY NOT NULL,
	`step_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`enqueued_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`latency_ms` integer,
	`provider` text,
	`model` text,
	`input_tokens` integer,
	`output_tokens` integer,
	`tokens_per_sec` real,
	`cost_usd` real,
	`error` text,
	`deliveries` integer DEFAULT 0 NOT NULL
, `mode` text DEFAULT 'queue' NOT NULL, `message` text);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `run` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`source` text,
	`delivery_key` text,
	`status` text NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`cancel_source` text,
	`cancel_requested_at` integer,
	`cancel_acknowledged_at` integer,
	`ignored_results` integer DEFAULT 0 NOT NULL
, `channel` text, `chat_id` text, `session_key` text, `sender_id` text, `link_kind` text, `linked_from` text);
--> statement-breakpoint
CREATE TABLE `timers` (
	`timer_id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`purpose` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `steered` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`text` text NOT NULL,
	`received_at` integer NOT NULL,
	`used_by` text
);
--> statement-breakpoint
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
