import { UnsavedDialogs } from '../src/unsavedDialogs';

test('a conversation is remembered until taken once', () => {
  const unsaved = new UnsavedDialogs();
  expect(unsaved.take('emulator/a')).toBe(false);
  unsaved.add('emulator/a');
  expect(unsaved.take('emulator/b')).toBe(false);
  expect(unsaved.take('emulator/a')).toBe(true);
  expect(unsaved.take('emulator/a')).toBe(false);
});

test('bounded: past the limit the oldest is dropped, and adding again makes one the newest', () => {
  const unsaved = new UnsavedDialogs(3);
  for (const key of ['a', 'b', 'c']) unsaved.add(key);
  unsaved.add('a');
  unsaved.add('d');
  expect(unsaved.size).toBe(3);
  expect(unsaved.take('b')).toBe(false);
  expect(['a', 'c', 'd'].map((key) => unsaved.take(key))).toEqual([true, true, true]);
});
