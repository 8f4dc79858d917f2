import { Link } from '@tanstack/react-router';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAdherence, useDoses, useLatestVitals, useLogDose } from '../api/queries.js';
import type { AttentionFlag, ScheduledDose, Vital } from '../api/types.js';
import { useSignedIn } from '../app/api-context.js';
import { CategoryBadge } from '../components/category-badge.js';
import { Button, FormProblem, QueryState } from '../components/ui.js';
import { isBpCategory } from '../domain/bp-category.js';
import { dateTimeText, dayBounds, percentText, readingText, timeText } from '../domain/format.js';
import { languageOf } from '../i18n/index.js';

const snoozeMs = 10 * 60_000;

/**
 * The screen a person opens every morning: today's doses with Take, Skip and Snooze one tap away,
 * their latest readings with the blood-pressure category in words and colour, and anything that
 * needs attention.
 */
export function TodayScreen() {
  const { t } = useTranslation();
  const user = useSignedIn();
  return (
    <div className="stack">
      <h1>{t('today.greeting', { name: user?.displayName ?? '' })}</h1>
      <div className="grid">
        <DosesToday />
        <Alerts />
        <LatestReadings />
      </div>
    </div>
  );
}

function DosesToday() {
  const { t, i18n } = useTranslation();
  const user = useSignedIn();
  const timeZone = user?.timeZone ?? 'UTC';
  const { from, to } = useMemo(() => dayBounds(new Date(), timeZone), [timeZone]);
  const doses = useDoses(from, to);
  const adherence = useAdherence();
  const logDose = useLogDose();
  const snoozes = useSnoozes();
  const language = languageOf(i18n.language);
  const rate = percentText(adherence.data?.overall.rate, language);

  return (
    <section className="card" aria-labelledby="doses-title">
      <h2 id="doses-title">{t('today.doses')}</h2>
      {rate && <p className="muted">{t('today.adherence', { rate })}</p>}
      <FormProblem error={logDose.error} />
      <QueryState
        isPending={doses.isPending}
        error={doses.error}
        onRetry={() => void doses.refetch()}
        isEmpty={doses.data?.length === 0}
        empty={
          <>
            {t('today.noDoses')} <Link to="/medications">{t('today.addMedication')}</Link>
          </>
        }
      >
        <ul className="list">
          {doses.data?.map((dose) => {
            const key = `${dose.medicationId}@${dose.scheduledAt}`;
            const time = timeText(dose.scheduledAt, timeZone, language);
            const snoozedUntil = snoozes.until(key);
            return (
              <li key={key} className={`dose dose-${dose.status}`}>
                <div>
                  <strong>{dose.medicationName}</strong> {dose.dose} {dose.doseUnit}
                  <div className="muted">
                    {time} · <DoseStatus dose={dose} />
                    {snoozedUntil && dose.status === 'pending' && (
                      <>
                        {' · '}
                        {t('today.snoozedUntil', {
                          time: timeText(new Date(snoozedUntil).toISOString(), timeZone, language),
                        })}
                      </>
                    )}
                  </div>
                </div>
                {(dose.status === 'pending' || dose.status === 'missed') && (
                  <div className="row">
                    <Button
                      aria-label={t('today.takeDose', {
                        name: dose.medicationName,
                        dose: dose.dose,
                        unit: dose.doseUnit,
                        time,
                      })}
                      isDisabled={logDose.isPending}
                      onPress={() =>
                        logDose.mutate({
                          medicationId: dose.medicationId,
                          status: 'taken',
                          scheduledAt: dose.scheduledAt,
                        })
                      }
                    >
                      {t('today.take')}
                    </Button>
                    <Button
                      variant="secondary"
                      aria-label={t('today.skipDose', { name: dose.medicationName, time })}
                      isDisabled={logDose.isPending}
                      onPress={() =>
                        logDose.mutate({
                          medicationId: dose.medicationId,
                          status: 'skipped',
                          scheduledAt: dose.scheduledAt,
                        })
                      }
                    >
                      {t('today.skip')}
                    </Button>
                    {dose.status === 'pending' && (
                      <Button
                        variant="quiet"
                        aria-label={t('today.snoozeDose', { name: dose.medicationName })}
                        onPress={() => snoozes.snooze(key)}
                      >
                        {t('today.snooze')}
                      </Button>
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      </QueryState>
    </section>
  );
}

function DoseStatus({ dose }: { dose: ScheduledDose }) {
  const { t } = useTranslation();
  const symbol = { taken: '✓', skipped: '–', missed: '!', pending: '○' }[dose.status];
  return (
    <span className={`status status-${dose.status}`}>
      <span aria-hidden="true">{symbol}</span> {t(`today.${dose.status}`)}
    </span>
  );
}

/**
 * Snoozed doses of this tab: a snoozed dose says until when, and its Take button stays, so the
 * reminder comes back by itself when the time is up (the notification service reminds by push).
 */
function useSnoozes() {
  const [snoozed, setSnoozed] = useState<ReadonlyMap<string, number>>(new Map());
  useEffect(() => {
    if (snoozed.size === 0) return undefined;
    const next = Math.min(...snoozed.values()) - Date.now();
    const timer = setTimeout(
      () => {
        setSnoozed((current) => new Map([...current].filter(([, until]) => until > Date.now())));
      },
      Math.max(0, next),
    );
    return () => clearTimeout(timer);
  }, [snoozed]);
  return {
    until: (key: string) => snoozed.get(key),
    snooze: (key: string) => setSnoozed((current) => new Map(current).set(key, Date.now() + snoozeMs)),
  };
}

function LatestReadings() {
  const { t, i18n } = useTranslation();
  const user = useSignedIn();
  const vitals = useLatestVitals();
  const latest = useMemo(() => latestPerKind(vitals.data ?? []), [vitals.data]);
  const language = languageOf(i18n.language);
  return (
    <section className="card" aria-labelledby="readings-title">
      <h2 id="readings-title">{t('today.readings')}</h2>
      <QueryState
        isPending={vitals.isPending}
        error={vitals.error}
        onRetry={() => void vitals.refetch()}
        isEmpty={latest.length === 0}
        empty={t('today.noReadings')}
      >
        <ul className="list">
          {latest.map((vital) => (
            <li key={vital.id} className="reading">
              <div>
                <span className="muted">{t(`vitals.kind.${vital.kind}`)}</span>
                <div className="big">{readingText(vital)}</div>
                <div className="muted">{dateTimeText(vital.measuredAt, user?.timeZone ?? 'UTC', language)}</div>
              </div>
              {isBpCategory(vital.bpCategory) && <CategoryBadge category={vital.bpCategory} />}
            </li>
          ))}
        </ul>
      </QueryState>
      <Link to="/vitals" className="button button-secondary">
        {t('today.logReading')}
      </Link>
    </section>
  );
}

function Alerts() {
  const { t, i18n } = useTranslation();
  const user = useSignedIn();
  const vitals = useLatestVitals();
  const language = languageOf(i18n.language);
  const weekAgo = Date.now() - 7 * 24 * 3600_000;
  const flags: AttentionFlag[] = (vitals.data ?? [])
    .flatMap((vital) => vital.flags ?? [])
    .filter((flag) => Date.parse(flag.measuredAt) >= weekAgo);
  return (
    <section className="card" aria-labelledby="alerts-title">
      <h2 id="alerts-title">{t('today.alerts')}</h2>
      <QueryState
        isPending={vitals.isPending}
        error={vitals.error}
        onRetry={() => void vitals.refetch()}
        isEmpty={flags.length === 0}
        empty={t('today.noAlerts')}
      >
        <ul className="list">
          {flags.map((flag) => (
            <li key={`${flag.vitalId}-${flag.reason}`} className={`alert alert-${flag.severity}`}>
              <span aria-hidden="true">{flag.severity === 'urgent' ? '‼' : '!'}</span>{' '}
              <span>
                {flagText(flag, t)}{' '}
                <span className="muted">
                  {t('flag.on', {
                    kind: t(`vitals.kind.${flag.kind}`),
                    when: dateTimeText(flag.measuredAt, user?.timeZone ?? 'UTC', language),
                  })}
                </span>
              </span>
            </li>
          ))}
        </ul>
      </QueryState>
    </section>
  );
}

function flagText(flag: AttentionFlag, t: ReturnType<typeof useTranslation>['t']): string {
  switch (flag.reason) {
    case 'hypertensive_crisis':
      return t('flag.hypertensive_crisis');
    case 'high_blood_pressure':
      return t('flag.high_blood_pressure');
    case 'low_blood_pressure':
      return t('flag.low_blood_pressure');
    default:
      return t('flag.other');
  }
}

function latestPerKind(vitals: readonly Vital[]): Vital[] {
  const seen = new Map<string, Vital>();
  for (const vital of vitals) {
    const known = seen.get(vital.kind);
    if (!known || known.measuredAt < vital.measuredAt) seen.set(vital.kind, vital);
  }
  return [...seen.values()];
}
