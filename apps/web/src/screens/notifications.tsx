import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { useInbox, useMarkRead, useReminderAction, useUpcomingReminders } from '../api/notification-queries.js';
import type { InboxNotification } from '../api/types.js';
import { useSignedIn } from '../app/api-context.js';
import { Button, FormProblem, QueryState } from '../components/ui.js';
import { dateTimeText, timeText } from '../domain/format.js';
import { languageOf } from '../i18n/index.js';

/**
 * Notifications: the in-app inbox (unread first to the eye, with Taken, Skip and Snooze on a dose
 * reminder that can still be answered) and what will remind the person in the next 24 hours.
 * How they are told (channels, quiet hours, devices) is under Settings.
 */
export function NotificationsScreen() {
  const { t } = useTranslation();
  return (
    <div className="stack">
      <h1>{t('inbox.title')}</h1>
      <div className="grid">
        <Inbox />
        <Upcoming />
      </div>
      <p>
        <Link to="/settings" hash="notification-settings">
          {t('inbox.howToldLink')}
        </Link>
      </p>
    </div>
  );
}

function Inbox() {
  const { t } = useTranslation();
  const inbox = useInbox();
  const markRead = useMarkRead();
  const act = useReminderAction();
  const items = inbox.data?.pages.flatMap((page) => page.items) ?? [];
  const unread = inbox.data?.pages[0]?.unreadCount ?? 0;
  return (
    <section className="card stack" aria-labelledby="inbox-title">
      <h2 id="inbox-title">{t('inbox.messages')}</h2>
      <p className="muted" role="status">
        {t('inbox.unread', { count: unread })}
      </p>
      <FormProblem error={markRead.error ?? act.error} />
      <QueryState
        isPending={inbox.isPending}
        error={inbox.error}
        onRetry={() => void inbox.refetch()}
        isEmpty={items.length === 0}
        empty={t('inbox.empty')}
      >
        <ul className="list">
          {items.map((item) => (
            <Message
              key={item.id}
              item={item}
              onRead={() => markRead.mutate(item.id)}
              onAction={(action) => act.mutate({ id: item.id, action })}
              busy={markRead.isPending || act.isPending}
            />
          ))}
        </ul>
        {inbox.hasNextPage && (
          <Button variant="secondary" onPress={() => void inbox.fetchNextPage()} isDisabled={inbox.isFetchingNextPage}>
            {t('inbox.more')}
          </Button>
        )}
      </QueryState>
    </section>
  );
}

function Message(props: {
  item: InboxNotification;
  onRead: () => void;
  onAction: (action: 'taken' | 'skip' | 'snooze') => void;
  busy: boolean;
}) {
  const { t, i18n } = useTranslation();
  const user = useSignedIn();
  const { item } = props;
  const unread = !item.readAt;
  // Only a dose reminder carries the reminder it answers; once answered (read) the buttons go.
  const answerable = item.kind === 'dose_reminder' && Boolean(item.data?.reminderId) && unread;
  const when = dateTimeText(item.createdAt, user?.timeZone ?? 'UTC', languageOf(i18n.language));
  return (
    <li className={`message ${unread ? 'message-unread' : ''}`}>
      <div>
        <strong>{item.title}</strong>
        {unread && <span className="badge">{t('inbox.new')}</span>}
        <div>{item.body}</div>
        <div className="muted">{when}</div>
      </div>
      <div className="row">
        {answerable && (
          <>
            <Button onPress={() => props.onAction('taken')} isDisabled={props.busy}>
              {t('today.take')}
            </Button>
            <Button variant="secondary" onPress={() => props.onAction('skip')} isDisabled={props.busy}>
              {t('today.skip')}
            </Button>
            <Button variant="quiet" onPress={() => props.onAction('snooze')} isDisabled={props.busy}>
              {t('today.snooze')}
            </Button>
          </>
        )}
        {unread && !answerable && (
          <Button
            variant="quiet"
            onPress={props.onRead}
            isDisabled={props.busy}
            aria-label={`${t('inbox.markRead')}: ${item.title}`}
          >
            {t('inbox.markRead')}
          </Button>
        )}
      </div>
    </li>
  );
}

function Upcoming() {
  const { t, i18n } = useTranslation();
  const user = useSignedIn();
  const reminders = useUpcomingReminders();
  const language = languageOf(i18n.language);
  return (
    <section className="card stack" aria-labelledby="upcoming-title">
      <h2 id="upcoming-title">{t('inbox.upcoming')}</h2>
      <QueryState
        isPending={reminders.isPending}
        error={reminders.error}
        onRetry={() => void reminders.refetch()}
        isEmpty={reminders.data?.length === 0}
        empty={t('inbox.noUpcoming')}
      >
        <ul className="list">
          {reminders.data?.map((reminder) => (
            <li key={reminder.id}>
              <strong>{timeText(reminder.fireAt, user?.timeZone ?? 'UTC', language)}</strong>{' '}
              {t(`inbox.reminderKind.${reminder.kind}`, { name: reminder.medicationName ?? '' })}
            </li>
          ))}
        </ul>
      </QueryState>
    </section>
  );
}
