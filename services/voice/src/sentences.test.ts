import { describe, expect, it } from 'vitest';
import { sentencesOf } from './sentences.js';

describe('sentences of a reply', () => {
  it('splits English and Chinese after their sentence marks', () => {
    expect(sentencesOf('I recorded it. Is that right? Good!')).toEqual(['I recorded it.', 'Is that right?', 'Good!']);
    expect(sentencesOf('已记录。你的血压偏高，请休息。')).toEqual(['已记录。你的血压偏高，请休息。']);
  });
});
