/**
 * Marks the errors that came out of the state storage itself (a full disk, Blob Storage unreachable),
 * so the bot can tell them from its own bugs: a turn that failed because its state could not be read or
 * written is answered "I couldn't reach my storage, send it again", and is not "reset", which would
 * only call the failing storage once more. The error is kept as it was (same object, same message and
 * code); only membership in a WeakSet records where it came from. An eTag conflict is not marked: it is
 * the storage working as it should.
 */
const storageFailures = new WeakSet<object>();

/** Records that `error` came from the storage and returns it to be thrown; a non-object is wrapped first. */
export function markStorageFailure(error: unknown): object {
  const marked = typeof error === 'object' && error !== null ? error : new Error(String(error));
  storageFailures.add(marked);
  return marked;
}

export function isStorageFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && storageFailures.has(error);
}
