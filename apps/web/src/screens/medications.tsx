import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { unwrap } from '../api/problem.js';
import { useAdherence, useDoses, useMedications } from '../api/queries.js';
import type { Adherence, Medication, ScheduledDose } from '../api/types.js';
import { useApi } from '../app/api-context.js';
import { MedicationForm } from '../components/medication-form.js';
import { Button, ConfirmButton, FormProblem, QueryState } from '../components/ui.js';
import { percentText } from '../domain/format.js';
import { languageOf } from '../i18n/index.js';

/** Medicines: the list with schedules and how often each was taken, add, edit and stop, and a 7-day dose calendar. */
export function MedicationsScreen() {
  const { t } = useTranslation();
  const medications = useMedications();
  const adherence = useAdherence();
  const [editing, setEditing] = useState<Medication | 'new' | undefined>(undefined);
  const week = useMemo(() => {
    const to = new Date();
    return { from: new Date(to.getTime() - 7 * 24 * 3600_000), to };
  }, []);
  const doses = useDoses(week.from, week.to);

  return (
    <div className="stack">
      <div className="row spread">
        <h1>{t('meds.title')}</h1>
        {editing === undefined && <Button onPress={() => setEditing('new')}>{t('meds.add')}</Button>}
      </div>
      {editing !== undefined && (
        <section className="card" aria-labelledby="med-form-title">
          <h2 id="med-form-title">
            {editing === 'new' ? t('meds.addTitle') : t('meds.editTitle', { name: editing.name })}
          </h2>
          <MedicationForm
            key={editing === 'new' ? 'new' : editing.id}
            medication={editing === 'new' ? undefined : editing}
            onDone={() => setEditing(undefined)}
          />
        </section>
      )}
      <QueryState
        isPending={medications.isPending}
        error={medications.error}
        onRetry={() => void medications.refetch()}
        isEmpty={medications.data?.length === 0}
        empty={t('meds.none')}
      >
        <ul className="list cards">
          {medications.data?.map((medication) => (
            <MedicationCard
              key={medication.id}
              medication={medication}
              adherence={adherence.data}
              doses={(doses.data ?? []).filter((dose) => dose.medicationId === medication.id)}
              onEdit={() => setEditing(medication)}
            />
          ))}
        </ul>
      </QueryState>
    </div>
  );
}

/** One medicine: what, when, how often taken lately, and its last 7 days as a row of days. */
export function MedicationCard(props: {
  medication: Medication;
  adherence: Adherence | undefined;
  doses: ScheduledDose[];
  onEdit?: () => void;
}) {
  const { t, i18n } = useTranslation();
  const { client } = useApi();
  const queries = useQueryClient();
  const { medication } = props;
  const language = languageOf(i18n.language);
  const counts = props.adherence?.byMedication.find((entry) => entry.medicationId === medication.id);
  const due = counts ? counts.taken + counts.skipped + counts.missed : 0;
  const stop = useMutation({
    mutationFn: async () =>
      unwrap(
        client.PATCH('/api/v1/medications/{id}', { params: { path: { id: medication.id } }, body: { active: false } }),
      ),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['medications'] });
      await queries.invalidateQueries({ queryKey: ['doses'] });
    },
  });
  return (
    <li className={`card medication${medication.active ? '' : ' inactive'}`}>
      <h2>
        {medication.name}{' '}
        <span className="muted">
          {medication.dose} {medication.doseUnit}
        </span>
        {!medication.active && <span className="tag"> {t('meds.stopped')}</span>}
      </h2>
      <p>
        {medication.schedule.asNeeded || medication.schedule.times.length === 0
          ? t('meds.asNeeded')
          : t('meds.everyDayAt', { times: medication.schedule.times.join(', ') })}
      </p>
      {medication.instructions && <p className="muted">{medication.instructions}</p>}
      <p>
        {t('meds.adherence')}:{' '}
        <strong>
          {counts && due > 0
            ? t('meds.adherenceValue', { rate: percentText(counts.rate, language) ?? '—', taken: counts.taken, due })
            : t('meds.noneDue')}
        </strong>
      </p>
      <DoseCalendar doses={props.doses} language={language} />
      <FormProblem error={stop.error} />
      {props.onEdit && medication.active && (
        <div className="row">
          <Button variant="secondary" onPress={props.onEdit} aria-label={`${t('meds.edit')} ${medication.name}`}>
            {t('meds.edit')}
          </Button>
          <ConfirmButton
            label={t('meds.stop')}
            ariaLabel={`${t('meds.stop')} ${medication.name}`}
            question={t('meds.stopConfirm', { name: medication.name })}
            onConfirm={() => stop.mutate()}
          />
        </div>
      )}
    </li>
  );
}

/** The last 7 days, one cell per day with its doses' marks: ✓ taken, – skipped, ! missed, ○ due. */
function DoseCalendar({ doses, language }: { doses: ScheduledDose[]; language: 'en' | 'zh' }) {
  const { t } = useTranslation();
  const days = useMemo(() => [...new Set(doses.map((dose) => dose.localDate))].sort().slice(-7), [doses]);
  if (days.length === 0) return null;
  const marks = { taken: '✓', skipped: '–', missed: '!', pending: '○' } as const;
  const dayName = new Intl.DateTimeFormat(language === 'zh' ? 'zh-CN' : 'en', { weekday: 'short', timeZone: 'UTC' });
  return (
    <table className="calendar">
      <caption>{t('meds.history')}</caption>
      <thead>
        <tr>
          {days.map((day) => (
            <th scope="col" key={day}>
              {dayName.format(new Date(`${day}T12:00:00Z`))}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        <tr>
          {days.map((day) => (
            <td key={day}>
              {doses
                .filter((dose) => dose.localDate === day)
                .map((dose) => (
                  <span
                    key={dose.scheduledAt}
                    className={`status status-${dose.status}`}
                    title={t(`today.${dose.status}`)}
                  >
                    <span aria-hidden="true">{marks[dose.status]}</span>
                    <span className="sr-only">
                      {dose.localTime} {t(`today.${dose.status}`)}
                    </span>
                  </span>
                ))}
            </td>
          ))}
        </tr>
      </tbody>
    </table>
  );
}
