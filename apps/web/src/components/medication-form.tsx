import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { unwrap } from '../api/problem.js';
import type { paths } from '../api/schema.gen.js';
import type { Medication } from '../api/types.js';
import { useApi } from '../app/api-context.js';
import { Button, fieldErrorsOf, FormProblem, TextInput } from './ui.js';
import { ApiForm } from './api-form.js';

/** The units the API takes (an enum in its document); the form lets a person type one, and the API names a wrong one. */
type DoseUnit = paths['/api/v1/medications']['post']['requestBody']['content']['application/json']['unit'];

/** `08:00, 20:00` → `['08:00', '20:00']`; `8:00` becomes `08:00`. */
export function parseTimes(text: string): string[] {
  return text
    .split(/[,，\s]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => (/^\d:\d\d$/.test(part) ? `0${part}` : part));
}

/** Adds a medicine, or edits one (`medication` given): name, dose, unit and the times of day. */
export function MedicationForm(props: { medication?: Medication; onDone: () => void }) {
  const { t } = useTranslation();
  const { client } = useApi();
  const queries = useQueryClient();
  const existing = props.medication;
  const [name, setName] = useState(existing?.name ?? '');
  const [dose, setDose] = useState(existing ? String(existing.dose) : '');
  const [unit, setUnit] = useState(existing?.doseUnit ?? 'mg');
  const [times, setTimes] = useState(existing?.schedule.times.join(', ') ?? '08:00');
  const [instructions, setInstructions] = useState(existing?.instructions ?? '');
  const [startDate, setStartDate] = useState(existing?.startDate ?? '');

  const save = useMutation({
    mutationFn: async () => {
      const parsedTimes = parseTimes(times);
      const body = {
        name: name.trim(),
        dose: Number(dose.replace(',', '.')),
        unit: unit.trim() as DoseUnit,
        ...(instructions.trim() && { instructions: instructions.trim() }),
        // Doses before the start date (today when left empty) are not expected, nor counted as missed.
        ...(startDate && { startDate }),
        schedule: { times: parsedTimes, asNeeded: parsedTimes.length === 0 },
      };
      if (existing)
        return unwrap(client.PATCH('/api/v1/medications/{id}', { params: { path: { id: existing.id } }, body }));
      return unwrap(client.POST('/api/v1/medications', { body }));
    },
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['medications'] });
      await queries.invalidateQueries({ queryKey: ['doses'] });
      await queries.invalidateQueries({ queryKey: ['adherence'] });
      props.onDone();
    },
  });

  // The API names schedule times `schedule.times.0`; the form has one field for all of them.
  const errors = fieldErrorsOf(save.error);
  for (const field of Object.keys(errors)) if (field.startsWith('schedule')) errors.times = errors[field]!;

  return (
    <ApiForm
      className="stack"
      errors={errors}
      onSubmit={() => {
        save.mutate();
      }}
    >
      <FormProblem error={save.error} />
      <TextInput name="name" label={t('meds.name')} isRequired value={name} onChange={setName} />
      <div className="row">
        <TextInput name="dose" label={t('meds.dose')} inputMode="decimal" isRequired value={dose} onChange={setDose} />
        <TextInput name="unit" label={t('meds.unit')} isRequired value={unit} onChange={setUnit} />
      </div>
      <TextInput
        name="times"
        label={t('meds.times')}
        description={t('meds.timesHint')}
        value={times}
        onChange={setTimes}
      />
      <TextInput
        name="startDate"
        type="date"
        label={t('meds.startDate')}
        description={t('meds.startDateHint')}
        value={startDate}
        onChange={setStartDate}
      />
      <TextInput name="instructions" label={t('meds.instructions')} value={instructions} onChange={setInstructions} />
      <div className="row">
        <Button type="submit" isDisabled={save.isPending}>
          {existing ? t('meds.saveChanges') : t('meds.add')}
        </Button>
        <Button variant="secondary" onPress={props.onDone}>
          {t('app.cancel')}
        </Button>
      </div>
    </ApiForm>
  );
}
