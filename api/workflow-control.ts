// Controls sent to a running workflow (updates, cancellation): a workflow's validator refusing
// one, or a workflow that has ended, is a 409 with the resource's own code, never a 500.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { DashError } from '../core/errors.js';

export function workflowControl(code: string, what: 'agent' | 'intent') {
  return async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) {
        const cause =
          err instanceof WorkflowUpdateFailedError
            ? (err.cause?.message ?? err.message)
            : `the ${what === 'agent' ? 'session' : 'intent'} has ended`;
        throw new DashError(code, `The ${what} cannot take this now: ${cause}`, 409);
      }
      throw err;
    }
  };
}
