import { HandledActivities } from '../src/handledActivities';

test('remembers what was added, and forgets the oldest past its bound', () => {
  const handled = new HandledActivities(2);
  handled.add('emulator/c1/a1');
  handled.add('emulator/c1/a2');
  expect(handled.has('emulator/c1/a1')).toBe(true);
  handled.add('emulator/c1/a3');
  expect(handled.has('emulator/c1/a1')).toBe(false);
  expect(handled.has('emulator/c1/a2')).toBe(true);
  expect(handled.has('emulator/c1/a3')).toBe(true);
});
