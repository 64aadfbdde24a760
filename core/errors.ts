// Typed errors with stable codes. Each surface translates them once: the API in app.onError
// (HTTP status + JSON body), the CLI in its base command (exit status + message).
export class DashError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DashError {
  constructor(message: string, details?: unknown) {
    super('validation_failed', message, 400, details);
  }
}

export class NotFoundError extends DashError {
  constructor(resource: string, id: string) {
    super(`${resource}_not_found`, `No ${resource} with id '${id}'.`, 404, { id });
  }
}

export class RepoError extends DashError {
  constructor(code: 'repo_not_found' | 'repo_not_git' | 'repo_no_commits', message: string, repo: string) {
    super(code, message, 422, { repo });
  }
}

export class UnavailableError extends DashError {
  constructor(code: string, message: string) {
    super(code, message, 503);
  }
}
