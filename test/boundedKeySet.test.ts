import { BoundedKeySet } from '../src/boundedKeySet';

test('a conversation is remembered until taken once', () => {
  const unsaved = new BoundedKeySet(10_000);
  expect(unsaved.take('emulator/a')).toBe(false);
  unsaved.add('emulator/a');
  expect(unsaved.take('emulator/b')).toBe(false);
  expect(unsaved.take('emulator/a')).toBe(true);
  expect(unsaved.take('emulator/a')).toBe(false);
});

test('bounded: past the limit the oldest is dropped, and adding again makes one the newest', () => {
  const unsaved = new BoundedKeySet(3);
  for (const key of ['a', 'b', 'c']) unsaved.add(key);
  unsaved.add('a');
  unsaved.add('d');
  expect(unsaved.size).toBe(3);
  expect(unsaved.take('b')).toBe(false);
  expect(['a', 'c', 'd'].map((key) => unsaved.take(key))).toEqual([true, true, true]);
});

test('remembers what was added, and forgets the oldest past its bound', () => {
  const handled = new BoundedKeySet(2);
  handled.add('emulator/c1/a1');
  handled.add('emulator/c1/a2');
  expect(handled.has('emulator/c1/a1')).toBe(true);
  handled.add('emulator/c1/a3');
  expect(handled.has('emulator/c1/a1')).toBe(false);
  expect(handled.has('emulator/c1/a2')).toBe(true);
  expect(handled.has('emulator/c1/a3')).toBe(true);
});
