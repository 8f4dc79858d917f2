import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { streamMessage, type ChatReply } from '../api/chat.js';
import { unwrap } from '../api/problem.js';
import type { ChatMessage } from '../api/types.js';
import { useApi } from '../app/api-context.js';
import { canTalkHandsFree, HandsFree } from '../components/hands-free.js';
import { canRecord, PushToTalk, type SpokenTurn } from '../components/push-to-talk.js';
import { Button, FormProblem, QueryState, TextInput } from '../components/ui.js';
import { languageOf } from '../i18n/index.js';
import { ApiForm } from '../components/api-form.js';

/** Emergency numbers offered by the call button, by the app's language (US / mainland China). */
const emergencyNumber = { en: '911', zh: '120' } as const;

/**
 * A chat with Tend. The answer appears word by word as it streams; each answer says whether the
 * language model or the built-in assistant gave it; an emergency answer stands out and offers a
 * call button.
 */
export function TalkScreen() {
  const { t, i18n } = useTranslation();
  const { client, authorizedFetch } = useApi();
  const queries = useQueryClient();
  const language = languageOf(i18n.language);
  const [draft, setDraft] = useState('');
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [streaming, setStreaming] = useState<string | undefined>(undefined);
  const [conversationId, setConversationId] = useState<string | undefined>(undefined);
  const log = useRef<HTMLOListElement>(null);

  // The latest conversation, continued; a new one is started with the first message.
  const history = useQuery({
    queryKey: ['conversation', 'latest'],
    queryFn: async () => {
      const list = await unwrap(client.GET('/api/v1/conversations', { params: { query: { limit: 1 } } }));
      const latest = list.items[0] as { id: string } | undefined;
      if (!latest) return { id: undefined, messages: [] as ChatMessage[] };
      const page = await unwrap(
        client.GET('/api/v1/conversations/{id}/messages', {
          params: { path: { id: latest.id }, query: { limit: 50 } },
        }),
      );
      return { id: latest.id, messages: (page.items as unknown as ChatMessage[]).slice().reverse() };
    },
    staleTime: Infinity,
  });

  // The history fills the chat once; from then on the chat is the page's own list.
  const loaded = useRef(false);
  useEffect(() => {
    if (!history.data || loaded.current) return;
    loaded.current = true;
    setMessages(history.data.messages);
    setConversationId(history.data.id);
  }, [history.data]);

  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [messages, streaming]);

  const ensureConversation = async (): Promise<string> => {
    if (conversationId) return conversationId;
    const { id } = (await unwrap(client.POST('/api/v1/conversations', { body: {} }))) as { id: string };
    setConversationId(id);
    return id;
  };

  const spoken = async (turn: SpokenTurn) => {
    setMessages((current) => [
      ...current,
      { role: 'user', text: turn.transcript },
      { id: turn.reply.messageId, role: 'assistant', text: turn.reply.text, intent: turn.reply.intent },
    ]);
    if (turn.reply.actions.some((action) => action.ok)) await queries.invalidateQueries({ queryKey: ['vitals'] });
  };

  const send = useMutation({
    mutationFn: async (text: string): Promise<ChatReply> => {
      const id = await ensureConversation();
      setMessages((current) => [...current, { role: 'user', text }]);
      setStreaming('');
      return streamMessage(authorizedFetch, id, text, language, {
        onToken: (token) => setStreaming((current) => (current ?? '') + token),
        onTool: () => undefined,
      });
    },
    onSuccess: async (reply) => {
      setStreaming(undefined);
      setMessages((current) => [
        ...current,
        { id: reply.messageId, role: 'assistant', text: reply.text, mode: reply.mode, intent: reply.intent },
      ]);
      // What the agent did (a reading, a dose) shows on the other screens at once.
      await queries.invalidateQueries({ queryKey: ['conversation'], refetchType: 'none' });
      if (reply.actions.some((action) => action.ok)) {
        await queries.invalidateQueries({ queryKey: ['vitals'] });
        await queries.invalidateQueries({ queryKey: ['doses'] });
        await queries.invalidateQueries({ queryKey: ['medications'] });
      }
    },
    onError: () => setStreaming(undefined),
  });

  return (
    <div className="stack talk">
      <h1>{t('talk.title')}</h1>
      <QueryState isPending={history.isPending} error={history.error} onRetry={() => void history.refetch()}>
        {messages.length === 0 && streaming === undefined && <p className="muted">{t('talk.empty')}</p>}
        <ol className="chat" ref={log} aria-live="polite" aria-relevant="additions">
          {messages.map((message, index) => (
            <Bubble key={message.id ?? index} message={message} language={language} />
          ))}
          {streaming !== undefined && (
            <li className="bubble bubble-assistant" aria-busy="true">
              <span className="who">{t('talk.tend')}</span>
              <p>{streaming || t('talk.thinking')}</p>
            </li>
          )}
        </ol>
      </QueryState>
      <FormProblem error={send.error} />
      <ApiForm
        className="composer"
        errors={{}}
        onSubmit={() => {
          const text = draft.trim();
          if (!text || send.isPending) return;
          setDraft('');
          send.mutate(text);
        }}
      >
        <TextInput
          name="text"
          label={t('talk.message')}
          placeholder={t('talk.placeholder')}
          value={draft}
          onChange={setDraft}
        />
        <Button type="submit" isDisabled={send.isPending || draft.trim() === ''}>
          {t('talk.send')}
        </Button>
      </ApiForm>
      {canRecord() && (
        <PushToTalk conversationId={ensureConversation} language={language} onTurn={(turn) => void spoken(turn)} />
      )}
      {canTalkHandsFree() && (
        <HandsFree
          conversationId={conversationId}
          language={language}
          onTurn={(turn) => {
            setConversationId(turn.conversationId);
            void spoken(turn);
          }}
        />
      )}
    </div>
  );
}

function Bubble({ message, language }: { message: ChatMessage; language: 'en' | 'zh' }) {
  const { t } = useTranslation();
  const emergency = message.role === 'assistant' && message.intent === 'emergency';
  return (
    <li className={`bubble bubble-${message.role}${emergency ? ' bubble-emergency' : ''}`}>
      <span className="who">{message.role === 'user' ? t('talk.you') : t('talk.tend')}</span>
      {emergency && (
        <strong className="emergency-title">
          <span aria-hidden="true">‼</span> {t('talk.emergency')}
        </strong>
      )}
      <p>{message.text}</p>
      {emergency && (
        <a className="button button-danger" href={`tel:${emergencyNumber[language]}`}>
          {t('talk.call')} ({emergencyNumber[language]})
        </a>
      )}
      {message.role === 'assistant' && message.mode && (
        <span className="muted small">
          {message.mode === 'llm' ? t('talk.answeredBy.llm') : t('talk.answeredBy.basic')}
        </span>
      )}
    </li>
  );
}
