// The only barrel: what the worker registers and what clients start by name.
export { IntentWorkflow, intentProgressQuery } from './intent-workflow.js';
export { AgentSessionWorkflow, sessionStateQuery } from './agent-session-workflow.js';
export { WorktreeReaperWorkflow } from './worktree-reaper-workflow.js';
export { WorktreeCreateWorkflow } from './worktree-create-workflow.js';
