import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { unwrap } from '../api/problem.js';
import { useApi } from '../app/api-context.js';
import { HandsFreeSession, type HandsFreeState, type HandsFreeTurn } from '../voice/hands-free-session.js';
import { Button, FormProblem } from './ui.js';

/** True when this browser can stream the microphone to Tend. */
export function canTalkHandsFree(): boolean {
  return (
    typeof AudioWorkletNode !== 'undefined' &&
    typeof WebSocket !== 'undefined' &&
    typeof navigator.mediaDevices?.getUserMedia === 'function'
  );
}

/**
 * Hands-free talk: one press and Tend listens, answers aloud, and listens again, until pressed
 * once more. The words heard show as they form; speaking over an answer interrupts it. For
 * people who cannot easily press a button twice per sentence, or whose hands are busy.
 */
export function HandsFree(props: {
  conversationId: string | undefined;
  language: 'en' | 'zh';
  onTurn: (turn: HandsFreeTurn) => void;
}) {
  const { t } = useTranslation();
  const { client } = useApi();
  const [state, setState] = useState<HandsFreeState>('off');
  const [heard, setHeard] = useState('');
  const [spoken, setSpoken] = useState(0);
  const [interruptions, setInterruptions] = useState(0);
  const [error, setError] = useState<unknown>(undefined);
  const session = useRef<HandsFreeSession | undefined>(undefined);
  const onTurn = useRef(props.onTurn);
  onTurn.current = props.onTurn;

  useEffect(() => () => session.current?.stop(), []);

  const start = async () => {
    setError(undefined);
    setHeard('');
    setInterruptions(0);
    const next = new HandsFreeSession(
      {
        language: props.language,
        ...(props.conversationId && { conversationId: props.conversationId }),
        ticket: async () => (await unwrap(client.POST('/api/v1/ws/tickets', {}))).ticket,
      },
      {
        state: setState,
        partial: setHeard,
        heard: setHeard,
        token: () => undefined,
        turn: (turn) => onTurn.current(turn),
        spoken: setSpoken,
        interrupted: setInterruptions,
        error: (problem) => setError(new Error(problem.message)),
      },
    );
    session.current = next;
    try {
      await next.start();
    } catch (caught) {
      setError(caught);
    }
  };

  const on = state !== 'off';
  return (
    <div className="stack">
      <Button
        variant={on ? 'danger' : 'secondary'}
        aria-pressed={on}
        onPress={() => (on ? session.current?.stop() : void start())}
      >
        {on ? t('talk.handsFree.stop') : t('talk.handsFree.start')}
      </Button>
      {on && (
        <p role="status" className="muted" data-sentences-spoken={spoken} data-interruptions={interruptions}>
          {interruptions > 0 && state === 'listening' && <>{t('talk.handsFree.interrupted')} </>}
          {t(`talk.handsFree.${state}`)}
          {heard && state === 'listening' && <> “{heard}”</>}
        </p>
      )}
      <FormProblem error={error} />
    </div>
  );
}
