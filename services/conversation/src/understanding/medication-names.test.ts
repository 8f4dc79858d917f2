import { describe, expect, it } from 'vitest';
import { matchMedication } from './medication-names.js';

const names = ['Metformin', 'Metoprolol', 'Lisinopril', 'Aspirin', 'Baby Aspirin', 'Vitamin D', '二甲双胍'];

describe('the person’s own medication names, as speech recognition hears them', () => {
  it.each([
    ['i took my metformin', 'Metformin'],
    ['i took my met formin', 'Metformin'],
    ['took metformine', 'Metformin'],
    ['lisinoprill is done', 'Lisinopril'],
    ['my baby aspirin', 'Baby Aspirin'],
    ['took my vitamin d', 'Vitamin D'],
    ['我吃了二甲双胍', '二甲双胍'],
    ['the lisin', 'Lisinopril'],
  ])('%s → %s', (said, name) => {
    expect(matchMedication(said, names)).toEqual({ name, candidates: [] });
  });

  it('asks rather than guesses when the words fit several', () => {
    expect(matchMedication('i took my met', names)).toEqual({ candidates: ['Metformin', 'Metoprolol'] });
  });

  it('finds nothing in words that name none of them', () => {
    expect(matchMedication('i took my pills', names)).toEqual({ candidates: [] });
    expect(matchMedication('the evening one', names)).toEqual({ candidates: [] });
  });
});
