import { problemOf } from './problem.js';
import { createSseReader } from './sse.js';
import type { ReplyMode } from './types.js';

/** The whole reply, once it is complete. */
export interface ChatReply {
  text: string;
  mode: ReplyMode;
  intent: string;
  messageId: string;
  actions: { tool: string; ok: boolean }[];
}

/** What the stream reports while a reply is produced. */
export interface ChatStreamHandlers {
  onToken: (text: string) => void;
  onTool: (tool: string, ok: boolean) => void;
}

/**
 * Sends a message and reads the answer as it is produced (`Accept: text/event-stream`): `tool`
 * events as the agent acts, `token` events as words arrive, and `reply` with the whole answer.
 */
export async function streamMessage(
  send: (request: Request) => Promise<Response>,
  conversationId: string,
  text: string,
  locale: 'en' | 'zh',
  handlers: ChatStreamHandlers,
): Promise<ChatReply> {
  const response = await send(
    new Request(`${globalThis.location.origin}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ text, locale }),
    }),
  );
  if (!response.ok || !response.body) {
    throw problemOf(response.status, await response.json().catch(() => undefined));
  }
  const read = createSseReader();
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  let reply: ChatReply | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const event of read(decoder.decode(value, { stream: true }))) {
      const data = JSON.parse(event.data) as Record<string, unknown>;
      if (event.event === 'token' && typeof data.text === 'string') handlers.onToken(data.text);
      else if (event.event === 'tool') handlers.onTool(String(data.tool), data.ok === true);
      else if (event.event === 'reply') reply = data as unknown as ChatReply;
      else if (event.event === 'error') throw problemOf(502, data);
    }
  }
  if (!reply) throw problemOf(502, { title: 'The answer broke off' });
  return reply;
}
