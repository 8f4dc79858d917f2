import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the next chat completion does. */
export type LlmScript =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; name: string; args: Record<string, unknown>; then: string }
  | { kind: 'fail'; status: number }
  | { kind: 'stall' }
  | { kind: 'break'; after: string };

/**
 * A local OpenAI-compatible server for tests: `/v1/chat/completions`, streamed as server-sent
 * events the way the real API streams them (or as one JSON completion when not asked to stream), answering each request with the next scripted
 * behaviour — text, a tool call followed (on the next request, with the tool's result) by text,
 * an HTTP error, a stall before the first token, or a stream cut off halfway.
 */
export class ScriptedLlmServer {
  readonly #server: Server;
  readonly #scripts: LlmScript[] = [];
  readonly #open = new Set<ServerResponse>();
  /** The request bodies received, for assertions (tools offered, the system prompt). */
  readonly requests: Record<string, unknown>[] = [];
  #pendingText: string | undefined;
  #completion: string | undefined;

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    for (const res of this.#open) res.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** Forgets what was queued and not used (a request a client did not retry). */
  reset(): void {
    this.#scripts.length = 0;
    this.#pendingText = undefined;
  }

  /** What every request that does not stream (a summary) is answered with, whatever is queued. */
  completeWith(text: string | undefined): void {
    this.#completion = text;
  }

  /** Queues what the next requests do. */
  script(...scripts: LlmScript[]): void {
    this.#scripts.push(...scripts);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += (chunk as Buffer).toString('utf8');
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    const request = JSON.parse(body) as Record<string, unknown>;
    this.requests.push(request);
    const streamed = request.stream === true;
    if (!streamed && this.#completion !== undefined) return this.#answer(res, this.#completion, false);
    if (this.#pendingText !== undefined) {
      const text = this.#pendingText;
      this.#pendingText = undefined;
      return this.#answer(res, text, streamed);
    }
    const script = this.#scripts.shift() ?? { kind: 'text', text: 'ok' };
    switch (script.kind) {
      case 'fail':
        res.writeHead(script.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error' } }));
        return;
      case 'stall':
        // Headers, then nothing: the client's first-token timeout has to act.
        this.#open.add(res);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        return;
      case 'text':
        return this.#answer(res, script.text, streamed);
      case 'break': {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk({ content: script.after }));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      case 'tool': {
        this.#pendingText = script.then;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(
          chunk({
            tool_calls: [
              {
                index: 0,
                id: 'call_1',
                type: 'function',
                function: { name: script.name, arguments: JSON.stringify(script.args) },
              },
            ],
          }),
        );
        res.write(chunk({}, 'tool_calls'));
        res.end('data: [DONE]\n\n');
        return;
      }
    }
  }

  /** The text as a stream of chunks, or as one completion when the client did not ask to stream. */
  #answer(res: ServerResponse, text: string, streamed: boolean): void {
    if (streamed) return this.#stream(res, text);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-test',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: 'scripted',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      }),
    );
  }

  #stream(res: ServerResponse, text: string): void {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const piece of text.split(/(?<=\s)/)) res.write(chunk({ content: piece }));
    res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  }
}

function chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
  const body = {
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: 'scripted',
    choices: [{ index: 0, delta: { role: 'assistant', ...delta }, finish_reason: finishReason }],
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}
