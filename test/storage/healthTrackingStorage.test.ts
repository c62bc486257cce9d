import { MemoryStorage, type Storage, type StoreItems } from 'botbuilder';
import { FAILURES_BEFORE_UNHEALTHY, HealthTrackingStorage } from '../../src/storage/healthTrackingStorage';
import { isStorageFailure, markStorageFailure } from '../../src/storage/storageFailure';

/** A MemoryStorage whose calls fail with `failWith` while it is set. */
class BreakableStorage implements Storage {
  failWith: Error | undefined;
  private readonly memory = new MemoryStorage();

  async read(keys: string[]): Promise<StoreItems> {
    if (this.failWith) throw this.failWith;
    return this.memory.read(keys);
  }

  async write(changes: StoreItems): Promise<void> {
    if (this.failWith) throw this.failWith;
    return this.memory.write(changes);
  }

  async delete(keys: string[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    return this.memory.delete(keys);
  }
}

test('healthy until FAILURES_BEFORE_UNHEALTHY calls fail in a row; one success clears it', async () => {
  const inner = new BreakableStorage();
  const storage = new HealthTrackingStorage(inner);
  await storage.write({ a: { value: 1 } });
  expect(storage.health).toEqual({ healthy: true, failuresInARow: 0 });

  inner.failWith = new Error('database or disk is full');
  for (let failure = 1; failure <= FAILURES_BEFORE_UNHEALTHY; failure += 1) {
    await expect(failure % 2 ? storage.read(['a']) : storage.delete(['a'])).rejects.toThrow('disk is full');
    expect(storage.health).toEqual({ healthy: failure < FAILURES_BEFORE_UNHEALTHY, failuresInARow: failure });
  }

  inner.failWith = undefined;
  expect(await storage.read(['a'])).toEqual({ a: expect.objectContaining({ value: 1 }) });
  expect(storage.health).toEqual({ healthy: true, failuresInARow: 0 });
});

test('an eTag conflict is the storage working, not failing', async () => {
  const storage = new HealthTrackingStorage(new MemoryStorage());
  await storage.write({ a: { value: 1 } });
  const stale = { a: { value: 2, eTag: 'stale' } };
  for (let attempt = 0; attempt < FAILURES_BEFORE_UNHEALTHY + 1; attempt += 1) {
    await expect(storage.write(stale)).rejects.toThrow(/eTag conflict/);
  }
  expect(storage.health).toEqual({ healthy: true, failuresInARow: 0 });
});

test("a failure is marked as the storage's, the same error object; a conflict is not", async () => {
  const inner = new BreakableStorage();
  const storage = new HealthTrackingStorage(inner);
  const diskFull = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  inner.failWith = diskFull;
  const thrown = await storage.read(['a']).catch((error: unknown) => error);
  expect(thrown).toBe(diskFull);
  expect(isStorageFailure(thrown)).toBe(true);

  inner.failWith = undefined;
  await storage.write({ a: { value: 1 } });
  const conflict = await storage.write({ a: { value: 2, eTag: 'stale' } }).catch((error: unknown) => error);
  expect(String(conflict)).toMatch(/eTag conflict/);
  expect(isStorageFailure(conflict)).toBe(false);
  // Errors from anywhere else are not the storage's.
  expect(isStorageFailure(new Error('database or disk is full'))).toBe(false);
  expect(isStorageFailure('text')).toBe(false);
});

test('a non-Error thrown by a storage is wrapped, so it can be marked', () => {
  const marked = markStorageFailure('socket hang up');
  expect(marked).toBeInstanceOf(Error);
  expect(String(marked)).toContain('socket hang up');
  expect(isStorageFailure(marked)).toBe(true);
});
