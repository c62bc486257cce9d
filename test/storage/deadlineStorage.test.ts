import { MemoryStorage, type Storage, type StoreItems } from 'botbuilder';
import { DeadlineStorage, StorageDeadlineError } from '../../src/storage/deadlineStorage';

/** A storage whose calls never settle while `stalled`, as a Blob body that stops halfway. */
class StallingStorage implements Storage {
  stalled = false;
  private readonly memory = new MemoryStorage();
  private gate<T>(call: () => Promise<T>): Promise<T> {
    return this.stalled ? new Promise<T>(() => undefined) : call();
  }
  read(keys: string[]): Promise<StoreItems> {
    return this.gate(() => this.memory.read(keys));
  }
  write(changes: StoreItems): Promise<void> {
    return this.gate(() => this.memory.write(changes));
  }
  delete(keys: string[]): Promise<void> {
    return this.gate(() => this.memory.delete(keys));
  }
}

test('calls that answer in time pass through, results and errors alike', async () => {
  const inner = new StallingStorage();
  const storage = new DeadlineStorage(inner, 200);
  await storage.write({ a: { v: 1 } });
  expect((await storage.read(['a'])).a).toMatchObject({ v: 1 });
  await expect(storage.write({ a: { v: 2, eTag: 'stale' } })).rejects.toThrow(/eTag conflict/);
  await storage.delete(['a']);
  expect(await storage.read(['a'])).toEqual({});
});

test.each(['read', 'write', 'delete'] as const)('a %s that never finishes fails at the deadline', async (operation) => {
  const inner = new StallingStorage();
  const storage = new DeadlineStorage(inner, 100);
  inner.stalled = true;
  const started = Date.now();
  const call = operation === 'read' ? storage.read(['a']) : operation === 'write' ? storage.write({ a: { v: 1 } }) : storage.delete(['a']);
  const error = await call.catch((err: unknown) => err);
  expect(error).toBeInstanceOf(StorageDeadlineError);
  expect(String(error)).toContain(`state storage ${operation} did not finish within 100 ms`);
  expect(Date.now() - started).toBeGreaterThanOrEqual(90);
});

test('no timer is left running after a call that answered', async () => {
  const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const before = timers();
  const storage = new DeadlineStorage(new StallingStorage(), 60_000);
  await storage.read(['a']);
  await storage.write({ a: { v: 1 } });
  expect(timers()).toBe(before);
});

test('refuses a deadline that is not a positive number', () => {
  expect(() => new DeadlineStorage(new MemoryStorage(), 0)).toThrow(/positive/);
  expect(() => new DeadlineStorage(new MemoryStorage(), Number.NaN)).toThrow(/positive/);
});
