import { BargeInDetector, PcmFramer } from './pcm-frames.js';

/** Where a hands-free conversation stands. */
export type HandsFreeState = 'connecting' | 'listening' | 'thinking' | 'speaking' | 'off';

/** One spoken turn as the chat shows it. */
export interface HandsFreeTurn {
  transcript: string;
  conversationId: string;
  reply: { text: string; intent: string; messageId: string; actions: { tool: string; ok: boolean }[] };
}

/** What the page hears from the session. */
export interface HandsFreeEvents {
  state(state: HandsFreeState): void;
  /** The words heard so far, while the person is still speaking. */
  partial(text: string): void;
  /** The person finished speaking: what was heard. */
  heard(text: string): void;
  /** The answer so far, as it streams. */
  token(text: string): void;
  turn(turn: HandsFreeTurn): void;
  /** A sentence of the answer started playing. */
  spoken(sentences: number): void;
  /** The person talked over the answer: it stopped, and a new turn began (the count so far). */
  interrupted(times: number): void;
  error(problem: { code: string; message: string; field?: string }): void;
}

/** How to reach the gateway. */
export interface HandsFreeOptions {
  /** Issues a one-time ticket for `/ws` (`POST /api/v1/ws/tickets`). */
  ticket: () => Promise<string>;
  language: 'en' | 'zh';
  conversationId?: string;
  /** The page's origin. @default location.origin */
  origin?: string;
}

/** Server messages the session acts on; the others (chat.tool, pong, live events) pass by. */
type ServerMessage =
  | { type: 'voice.partial'; text: string }
  | { type: 'voice.transcript'; text: string }
  | { type: 'chat.token'; text: string }
  | {
      type: 'chat.reply';
      conversationId: string;
      text: string;
      intent?: string;
      messageId?: string;
      actions: { tool: string; ok: boolean }[];
    }
  | { type: 'voice.audio'; sentence: number }
  | { type: 'voice.done' }
  | { type: 'voice.error' | 'error'; code: string; message: string; field?: string }
  | { type: string };

/**
 * A hands-free conversation over `/ws`: the microphone streams as 100 ms frames of 16-bit PCM;
 * the server hears the end of speech, answers, and speaks the answer a sentence at a time, and
 * then the next turn begins by itself. Talking over the answer (barge-in) stops it and starts a
 * new turn. Nothing is recorded: frames go out as they are captured and are not kept.
 */
export class HandsFreeSession {
  #state: HandsFreeState = 'off';
  #socket: WebSocket | undefined;
  #microphone: MediaStream | undefined;
  #capture: AudioContext | undefined;
  #playback: AudioContext | undefined;
  #playing = new Set<AudioBufferSourceNode>();
  /** Sentences received and not yet playing (being decoded). */
  #decoding = 0;
  #playhead = 0;
  #sentences = 0;
  #transcript = '';
  #conversationId: string | undefined;
  #answerDone = false;
  #bargeIn = new BargeInDetector();
  #interruptions = 0;

  constructor(
    private readonly options: HandsFreeOptions,
    private readonly events: HandsFreeEvents,
  ) {
    this.#conversationId = options.conversationId;
  }

  get state(): HandsFreeState {
    return this.#state;
  }

  /** Opens the microphone and the socket, and starts listening. */
  async start(): Promise<void> {
    this.#set('connecting');
    try {
      this.#microphone = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
      });
      this.#capture = captureContext();
      this.#playback = new AudioContext();
      await this.#capture.audioWorklet.addModule('/pcm-capture.js');
      const framer = new PcmFramer(Math.round(this.#capture.sampleRate / 10));
      const worklet = new AudioWorkletNode(this.#capture, 'pcm-capture');
      worklet.port.onmessage = (event: MessageEvent<Float32Array>) => {
        for (const frame of framer.push(event.data)) this.#frame(frame);
      };
      this.#capture.createMediaStreamSource(this.#microphone).connect(worklet);
      // A worklet renders only inside a graph that reaches the output; it writes nothing to it.
      worklet.connect(this.#capture.destination);
      await this.#open(await this.options.ticket());
      this.#beginTurn();
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  /** Ends the conversation: the microphone, the socket and any speech stop. */
  stop(): void {
    this.#silence();
    this.#socket?.close(1000);
    this.#socket = undefined;
    for (const track of this.#microphone?.getTracks() ?? []) track.stop();
    this.#microphone = undefined;
    void this.#capture?.close();
    void this.#playback?.close();
    this.#capture = this.#playback = undefined;
    this.#set('off');
  }

  #open(ticket: string): Promise<void> {
    const origin = (this.options.origin ?? location.origin).replace(/^http/, 'ws');
    const socket = new WebSocket(`${origin}/ws?ticket=${encodeURIComponent(ticket)}`, 'tend.v1');
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      if (typeof event.data === 'string') this.#message(JSON.parse(event.data) as ServerMessage);
      else void this.#play(event.data);
    };
    socket.onclose = () => {
      if (this.#socket === socket) this.stop();
    };
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error('the voice connection could not be opened'));
    });
  }

  #beginTurn(): void {
    this.#transcript = '';
    this.#answerDone = false;
    this.#bargeIn.reset();
    this.#send({
      type: 'voice.start',
      format: 'pcm16',
      sampleRate: this.#capture?.sampleRate ?? 16_000,
      lang: this.options.language,
      ...(this.#conversationId && { conversationId: this.#conversationId }),
    });
    this.#set('listening');
  }

  #frame(frame: Int16Array): void {
    if (this.#state === 'listening') {
      this.#socket?.send(frame.buffer);
    } else if (this.#state === 'speaking' && this.#bargeIn.push(frame)) {
      // The person talks over the answer: it stops, and what they say is the next turn.
      this.#silence();
      this.#beginTurn();
      this.events.interrupted(++this.#interruptions);
      this.#socket?.send(frame.buffer);
    }
  }

  #message(message: ServerMessage): void {
    switch (message.type) {
      case 'voice.partial':
        this.events.partial((message as { text: string }).text);
        break;
      case 'voice.transcript':
        this.#transcript = (message as { text: string }).text;
        this.events.heard(this.#transcript);
        this.#set('thinking');
        break;
      case 'chat.token':
        this.events.token((message as { text: string }).text);
        break;
      case 'chat.reply': {
        const reply = message as Extract<ServerMessage, { type: 'chat.reply' }>;
        this.#conversationId = reply.conversationId;
        this.events.turn({
          transcript: this.#transcript,
          conversationId: reply.conversationId,
          reply: {
            text: reply.text,
            intent: reply.intent ?? '',
            messageId: reply.messageId ?? '',
            actions: reply.actions,
          },
        });
        break;
      }
      case 'voice.done':
        this.#answerDone = true;
        this.#nextTurnWhenQuiet();
        break;
      case 'voice.error':
      case 'error': {
        const problem = message as { code: string; message: string; field?: string };
        // Audio the recogniser could not use (noise), or a long silence that ran out the turn's
        // time, is not the end of the conversation: listen again.
        if ((problem.code === 'invalid_argument' || problem.code === 'deadlineexceeded') && this.#state !== 'off') {
          this.#beginTurn();
        } else {
          this.events.error(problem);
          this.stop();
        }
        break;
      }
    }
  }

  async #play(wav: ArrayBuffer): Promise<void> {
    const context = this.#playback;
    if (!context || !this.#answering()) return;
    this.#decoding++;
    let buffer: AudioBuffer | undefined;
    try {
      buffer = await context.decodeAudioData(wav);
    } catch {
      // A sentence the browser cannot decode is skipped; the text is on the screen.
    } finally {
      this.#decoding--;
    }
    // A barge-in or a stop while it was decoding: the sentence belongs to an answer cut short.
    if (!buffer || this.#playback !== context || !this.#answering()) return this.#nextTurnWhenQuiet();
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    this.#playhead = Math.max(this.#playhead, context.currentTime);
    source.start(this.#playhead);
    this.#playhead += buffer.duration;
    this.#playing.add(source);
    this.#set('speaking');
    this.events.spoken(++this.#sentences);
    source.onended = () => {
      this.#playing.delete(source);
      this.#nextTurnWhenQuiet();
    };
  }

  #answering(): boolean {
    return this.#state === 'thinking' || this.#state === 'speaking';
  }

  /** After the answer's last sentence has played, the next turn listens. */
  #nextTurnWhenQuiet(): void {
    if (this.#answerDone && this.#playing.size === 0 && this.#decoding === 0 && this.#answering()) {
      this.#beginTurn();
    }
  }

  #silence(): void {
    for (const source of this.#playing) source.stop();
    this.#playing.clear();
    this.#playhead = 0;
  }

  #send(message: object): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #set(state: HandsFreeState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.events.state(state);
  }
}

/** 16 kHz is what the recogniser takes; a browser that cannot capture at that rate sends its own. */
function captureContext(): AudioContext {
  try {
    return new AudioContext({ sampleRate: 16_000 });
  } catch {
    return new AudioContext();
  }
}
