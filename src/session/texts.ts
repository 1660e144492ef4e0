/**
 * Every text the chat session shows a person, in one place: wording changes happen here, and the workerd
 * chat tests assert some of these strings verbatim. (The /help text is the source's `chat.helpText`.)
 */
export const texts = {
  /** A queued message was refused because the queue is full (`queue.maxDepth`). */
  busy: (waiting: number) =>
    `I'm still working on your previous message and ${waiting} more are waiting. Please try again in a moment.`,
  nothingToStop: "Nothing to stop.",
  /** The confirmation of /stop carries the measured cancel latency. */
  stoppedAfter: (latencyMs: number) => `Stopped after ${latencyMs} ms.`,
  idle: "Idle.",
  idleWaiting: (waiting: number) => `Idle, ${waiting} waiting.`,
  /** `step` is the step in flight, or undefined between steps; `seconds` is already rounded. */
  working: (step: string | undefined, seconds: number, waiting: number) =>
    `Working: ${step === undefined ? "between steps" : `step "${step}"`}, ${seconds} s so far, ${waiting} waiting.`,
  approve: "Approve",
  reject: "Reject",
  /** The wait step's prompt when the workflow gives none. */
  approvalPrompt: "Approve?",
  buttonExpired: "This button has expired.",
  notAllowed: "You are not allowed to answer this.",
  alreadyAnswered: "Already answered.",
  approved: "Approved.",
  rejected: "Rejected.",
  noLongerWaiting: "The request is no longer waiting.",
  /** An approval's wait step timed out. */
  noAnswerInTime: "No answer in time.",
} as const;
