/**
 * Resolves in a later task, after the tasks already queued (timers due, I/O ready). The cancel path uses it
 * to put follow-up work behind the aborts of other cancels that arrived together.
 *
 * @example
 * if (signal.aborted) await nextTask(); // the bookkeeping goes after the other aborts
 */
export const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
