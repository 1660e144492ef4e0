ALTER TABLE `attempts` ADD `mode` text DEFAULT 'queue' NOT NULL;--> statement-breakpoint
ALTER TABLE `attempts` ADD `message` text;