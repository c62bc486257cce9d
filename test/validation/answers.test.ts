import { exactChoiceIndex, normalizedAnswer, yesOrNo } from '../../src/validation/answers';

describe('yesOrNo', () => {
  test.each(['yes', 'Yes', ' YES! ', 'y', 'yeah', 'ok', 'Okay.', 'sure', 'yes please', 'go ahead', '👍'])('%j is yes', (text) => {
    expect(yesOrNo(text)).toBe(true);
  });

  test.each(['no', 'No.', 'n', 'nope', 'no thanks', "don't", 'don\u2019t', 'not now'])('%j is no', (text) => {
    expect(yesOrNo(text)).toBe(false);
  });

  test.each(["I'm not sure", 'not sure yet', 'ok no wait', 'yes but no', 'hold on 1 sec', 'maybe', 'yes?', '1', '', '   ', 'y'.repeat(101)])(
    '%j is neither',
    (text) => {
      expect(yesOrNo(text)).toBeUndefined();
    },
  );

  test.each([undefined, null, 42, { text: 'yes' }])('a non-string (%j) is neither', (value) => {
    expect(yesOrNo(value)).toBeUndefined();
  });
});

describe('exactChoiceIndex', () => {
  const CHOICES = [
    { value: 'Try again', synonyms: ['retry', 'yes'] },
    { value: 'Cancel', synonyms: ['no'] },
  ];

  test.each([
    ['Try again', 0],
    ['try  AGAIN!', 0],
    ['retry', 0],
    ['yes', 0],
    ['Cancel', 1],
    ['no.', 1],
    ['1', 0],
    ['2', 1],
  ])('%j is choice %i', (text, index) => {
    expect(exactChoiceIndex(text, CHOICES)).toBe(index);
  });

  test.each(['3', '0', '01 please', 'try again later', 'maybe later', 'yes no', 'hold on 1 sec', ''])('%j is no choice', (text) => {
    expect(exactChoiceIndex(text, CHOICES)).toBeUndefined();
  });
});

describe('normalizedAnswer', () => {
  test('trims, lowers, collapses spaces, drops trailing . and !, reads typographic apostrophes as plain', () => {
    expect(normalizedAnswer('  Don\u2019t   DO it!! ')).toBe("don't do it");
  });

  test('a question mark is kept: "yes?" is a question, not an answer', () => {
    expect(normalizedAnswer('yes?')).toBe('yes?');
  });
});
