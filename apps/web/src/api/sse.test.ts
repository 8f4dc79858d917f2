import { describe, expect, it } from 'vitest';
import { createSseReader } from './sse.js';

describe('reading a server-sent event stream', () => {
  it('completes an event split across chunks only once its blank line arrives', () => {
    const read = createSseReader();
    expect(read('event: token\nda')).toEqual([]);
    expect(read('ta: {"text":"I\'ve "}\n')).toEqual([]);
    expect(read('\nevent: token\ndata: {"text":"recorded"}\n\n')).toEqual([
      { event: 'token', data: '{"text":"I\'ve "}' },
      { event: 'token', data: '{"text":"recorded"}' },
    ]);
  });

  it('names an event without an event line "message", joins data lines and skips comments', () => {
    const read = createSseReader();
    expect(read(': keep-alive\r\n\r\ndata: a\r\ndata: b\r\n\r\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  });
});
