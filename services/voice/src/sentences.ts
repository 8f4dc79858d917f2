/**
 * Splits a reply into sentences so speech can start after the first one is synthesized. Splits
 * after . ! ? and their Chinese forms (。！？；), keeping the mark; very short pieces join the
 * next so the voice does not stutter on "OK.".
 */
export function sentencesOf(text: string): string[] {
  const pieces = text
    .split(/(?<=[.!?。！？；;])\s*/u)
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '');
  const sentences: string[] = [];
  let carry = '';
  for (const piece of pieces) {
    const joined = carry === '' ? piece : /[。！？；]$/u.test(carry) ? carry + piece : `${carry} ${piece}`;
    if ([...joined].length < 6) carry = joined;
    else {
      sentences.push(joined);
      carry = '';
    }
  }
  if (carry !== '') sentences.push(carry);
  return sentences;
}
