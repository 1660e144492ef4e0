/**
 * Trigger rules: which inbound events start which workflow. Pure; the SessionObject carries out `onBusy`.
 * The rules' schema and checks belong to the config (src/config/trigger-*.ts); `matchTrigger` decides per event, returning the `reaction.match` / `reaction.skip` audit event.
 */

export type { TriggerRule } from "../../config/trigger-schema.ts";
export { chatIdOf } from "./chat.ts";
export { type Command, CommandSchema, commandOf, commandOfEvent, wordCommandOf } from "./command.ts";
export * from "./decision.ts";
export { matchTrigger, type TriggerResult } from "./match.ts";
