/**
 * Trigger rules: which inbound events start which workflow. Pure; the SessionObject carries out `onBusy`.
 * `TriggersSchema` parses the config's `triggers:`, `checkTriggers` validates it against the workflows,
 * and `matchTrigger` decides per event, returning the `reaction.match` / `reaction.skip` audit event.
 */
export { chatIdOf } from "./chat.ts";
export { checkTriggers, type TriggerIssue, TriggerIssueSchema } from "./check.ts";
export { type Command, CommandSchema, commandOf, commandOfEvent, wordCommandOf } from "./command.ts";
export * from "./decision.ts";
export { matchTrigger, type TriggerResult } from "./match.ts";
export { checkPattern, searchText } from "./regex.ts";
export * from "./schema.ts";
