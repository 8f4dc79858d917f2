import type { Caller } from '@tend/proto/tend/common/v1/common';
import type { Medication } from '@tend/proto/tend/health/v1/medications';
import type { ContextWindow } from './context-window.js';

// What a turn takes and gives, shared by the brains and the tools they call.

/** Who a turn is for, as the health service knows them. */
export interface Person {
  id: string;
  displayName: string;
  locale: 'en' | 'zh';
  timeZone: string;
}

/** A tool the brain called, and whether it worked. */
export interface ToolAction {
  tool: string;
  ok: boolean;
}

/** One answer: what to say, what was done, and which intent was understood. */
export interface BrainReply {
  text: string;
  intent: string;
  actions: ToolAction[];
  locale: 'en' | 'zh';
}

/** What a brain gets for one turn. */
export interface TurnInput {
  text: string;
  caller: Caller;
  person: Person;
  medications: readonly Medication[];
  now: Date;
  /** The language asked for; empty uses the person's. */
  locale?: 'en' | 'zh';
  /** The conversation so far, for a brain that can use it. */
  context?: ContextWindow;
}
