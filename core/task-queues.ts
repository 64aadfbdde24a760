// Task queue names, in one place so that every process derives them the same way.

/** The queue agent runs are scheduled on: served by workers whose slot count bounds agent processes. */
export const agentTaskQueueOf = (taskQueue: string) => `${taskQueue}-agents`;
