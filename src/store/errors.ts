// Typed store errors; the API server maps them to Status reasons.

export class StoreError extends Error {
  constructor(message: string, readonly key: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class StoreNotFoundError extends StoreError {
  constructor(key: string) { super(`key ${key} not found`, key); }
}

export class StoreAlreadyExistsError extends StoreError {
  constructor(key: string) { super(`key ${key} already exists`, key); }
}

export class StoreConflictError extends StoreError {
  constructor(key: string, readonly expected: number, readonly actual: number) {
    super(`key ${key} was modified: expected revision ${expected}, found ${actual}`, key);
  }
}

export class StoreExpiredError extends StoreError {
  constructor(readonly requested: number, readonly compacted: number) {
    super(`revision ${requested} is older than the oldest kept revision ${compacted}`, '');
  }
}

export class StoreClosedError extends StoreError {
  constructor() { super('store is closed', ''); }
}

/** A disk write failed: the store refuses further writes rather than let memory and disk diverge. */
export class StoreFailedError extends StoreError {
  constructor(cause: unknown) {
    super(`store refuses writes after a failed disk write: ${cause instanceof Error ? cause.message : String(cause)}`, '');
    this.cause = cause;
  }
}
