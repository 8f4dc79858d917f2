import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { problemOf } from '../api/problem.js';
import { useApi } from '../app/api-context.js';
import { Button, FormProblem } from './ui.js';

/** What one spoken turn gave: the words heard and Tend's answer. */
export interface SpokenTurn {
  transcript: string;
  reply: { text: string; intent: string; messageId: string; actions: { tool: string; ok: boolean }[] };
}

/** True when this browser can record the microphone. */
export function canRecord(): boolean {
  return typeof MediaRecorder !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function';
}

/**
 * Push-to-talk: one press starts listening, the next sends what was said. The recording goes to
 * the conversation's voice turn (`POST /conversations/{id}/voice`); the words heard and the answer
 * join the chat, and the answer is spoken aloud. Two presses rather than holding a button down,
 * because holding is hard for unsteady hands and impossible with a keyboard or switch.
 */
export function PushToTalk(props: {
  conversationId: () => Promise<string>;
  language: 'en' | 'zh';
  onTurn: (turn: SpokenTurn) => void;
}) {
  const { t } = useTranslation();
  const { authorizedFetch } = useApi();
  const [state, setState] = useState<'idle' | 'listening' | 'sending'>('idle');
  const [error, setError] = useState<unknown>(undefined);
  const recorder = useRef<MediaRecorder | undefined>(undefined);

  const start = async () => {
    setError(undefined);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const type = MediaRecorder.isTypeSupported('audio/webm;codecs=opus') ? 'audio/webm;codecs=opus' : '';
      const media = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      const chunks: Blob[] = [];
      media.ondataavailable = (event) => chunks.push(event.data);
      media.onstop = () => {
        for (const track of stream.getTracks()) track.stop();
        void send(new Blob(chunks, { type: (media.mimeType || 'audio/webm').split(';')[0] }));
      };
      media.start();
      recorder.current = media;
      setState('listening');
    } catch (caught) {
      setError(caught);
      setState('idle');
    }
  };

  const send = async (audio: Blob) => {
    setState('sending');
    try {
      const id = await props.conversationId();
      const response = await authorizedFetch(
        new Request(`${location.origin}/api/v1/conversations/${id}/voice?lang=${props.language}`, {
          method: 'POST',
          headers: { 'content-type': audio.type },
          body: audio,
        }),
      );
      const body: unknown = await response.json().catch(() => undefined);
      if (!response.ok) throw problemOf(response.status, body);
      const turn = body as SpokenTurn & { speech?: { url: string } };
      props.onTurn(turn);
      if (turn.speech?.url) await speak(turn.speech.url);
    } catch (caught) {
      setError(caught);
    } finally {
      setState('idle');
    }
  };

  const speak = async (url: string) => {
    const response = await authorizedFetch(new Request(`${location.origin}${url}`));
    if (!response.ok) return;
    const source = URL.createObjectURL(await response.blob());
    const audio = new Audio(source);
    audio.onended = () => URL.revokeObjectURL(source);
    await audio.play().catch(() => URL.revokeObjectURL(source));
  };

  return (
    <div className="stack">
      <Button
        variant={state === 'listening' ? 'danger' : 'secondary'}
        isDisabled={state === 'sending'}
        aria-pressed={state === 'listening'}
        onPress={() => (state === 'listening' ? recorder.current?.stop() : void start())}
      >
        {state === 'listening' ? t('talk.stopAndSend') : state === 'sending' ? t('talk.thinking') : t('talk.speak')}
      </Button>
      {state === 'listening' && (
        <p role="status" className="muted">
          {t('talk.listening')}
        </p>
      )}
      <FormProblem error={error} />
    </div>
  );
}
