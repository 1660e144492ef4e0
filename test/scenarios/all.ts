import { chatScenarios } from "./chat.ts";
import { chatErrorScenarios } from "./chat-errors.ts";
import { whatsappChatScenarios } from "./chat-whatsapp.ts";
import { dedupScenarios } from "./dedup.ts";
import { genericScenarios } from "./generic.ts";
import { operatorScenarios } from "./operator.ts";
import { relaunchScenarios } from "./relaunch.ts";
import { runScenarios } from "./runs.ts";
import { telegramIngressScenarios } from "./telegram.ts";
import { whatsappIngressScenarios } from "./whatsapp.ts";

/**
 * The one list of HTTP-level scenarios that must hold on both runtimes: ingress reasons for every route,
 * the duplicate storm, runs (cancel with the upstream aborted, governor, wait/resume, fan-out) and chat
 * (a reply, /stop, each onBusy policy, approvals; Telegram and WhatsApp), outbound Bot API and Graph API
 * errors, /health and /metrics.
 * test/workers/scenarios.test.ts runs it on workerd, test/node/scenarios.test.ts on the Node server.
 */
export function allScenarios(): void {
  genericScenarios();
  telegramIngressScenarios();
  whatsappIngressScenarios();
  dedupScenarios();
  runScenarios();
  relaunchScenarios();
  chatScenarios();
  whatsappChatScenarios();
  chatErrorScenarios();
  operatorScenarios();
}
