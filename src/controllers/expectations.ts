// Expectations (client-go's ControllerExpectations): after a controller creates or deletes pods,
// its informer sees those writes a little later. Until it has, a reconcile would count the old
// state and act again (double-create). So each owner key records what it expects to see; a
// reconcile changes pods only once the expectations are met, or after a timeout in case an
// event was lost (a watch relist, a failed write the controller did not hear about).
const defaultTimeoutMs = 5 * 60_000;

interface Expected {
  creates: number;
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private readonly byKey = new Map<string, Expected>();

  constructor(private readonly now: () => number, private readonly timeoutMs = defaultTimeoutMs) {}

  /** Whether the controller may act on this key (nothing outstanding, or outstanding for too long). */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.creates <= 0 && e.deletes.size === 0) return true;
    return this.now() - e.at > this.timeoutMs;
  }

  /** Replaces what the key expects (called just before the writes). */
  expect(key: string, creates: number, deleteUids: readonly string[]): void {
    this.byKey.set(key, { creates, deletes: new Set(deleteUids), at: this.now() });
  }

  /** A write that failed will never be observed: stop waiting for it. */
  creationFailed(key: string): void {
    this.observeCreate(key);
  }

  observeCreate(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.creates--;
  }

  observeDelete(key: string, uid: string): void {
    this.byKey.get(key)?.deletes.delete(uid);
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }
}
