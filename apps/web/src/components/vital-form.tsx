import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useRecordVital } from '../api/queries.js';
import { apiValue, unitOf, unitsByKind, vitalKinds, type VitalKind } from '../domain/units.js';
import { Button, Choice, fieldErrorsOf, FormProblem, TextInput } from './ui.js';
import { ApiForm } from './api-form.js';

/**
 * Logs a reading of any kind in the unit the person uses. Blood pressure asks for both numbers,
 * each explained; other kinds ask for one value.
 */
export function VitalForm(props: {
  kind: VitalKind;
  onKindChange: (kind: VitalKind) => void;
  unitId: string;
  onUnitChange: (unitId: string) => void;
}) {
  const { t } = useTranslation();
  const record = useRecordVital();
  const [value, setValue] = useState('');
  const [systolic, setSystolic] = useState('');
  const [diastolic, setDiastolic] = useState('');
  const [saved, setSaved] = useState(false);
  const unit = unitOf(props.kind, props.unitId);
  const canonical = unitsByKind[props.kind][0]!.id;

  const submit = () => {
    setSaved(false);
    const number = (text: string) => (text.trim() === '' ? Number.NaN : Number(text.replace(',', '.')));
    if (props.kind === 'blood_pressure') {
      const sys = apiValue(number(systolic), unit, canonical);
      const dia = apiValue(number(diastolic), unit, canonical);
      record.mutate(
        { kind: props.kind, systolic: sys.value, diastolic: dia.value, unit: sys.unit },
        { onSuccess: () => (setSystolic(''), setDiastolic(''), setSaved(true)) },
      );
    } else {
      const converted = apiValue(number(value), unit, canonical);
      record.mutate(
        { kind: props.kind, value: converted.value, unit: converted.unit },
        { onSuccess: () => (setValue(''), setSaved(true)) },
      );
    }
  };

  return (
    <ApiForm
      className="stack card"
      aria-labelledby="log-title"
      errors={fieldErrorsOf(record.error)}
      onSubmit={() => {
        submit();
      }}
    >
      <h2 id="log-title">{t('today.logReading')}</h2>
      <Choice
        label={t('vitals.kindLabel')}
        name="kind"
        value={props.kind}
        onChange={(kind) => {
          setSaved(false);
          props.onKindChange(kind);
        }}
        options={vitalKinds.map((kind) => ({ id: kind, label: t(`vitals.kind.${kind}`) }))}
      />
      {unitsByKind[props.kind].length > 1 && (
        <Choice
          label={t('vitals.unit')}
          name="unit"
          value={unit.id}
          onChange={props.onUnitChange}
          options={unitsByKind[props.kind].map((u) => ({ id: u.id, label: u.id }))}
        />
      )}
      {props.kind === 'blood_pressure' ? (
        <div className="row">
          <TextInput
            name="systolic"
            label={`${t('vitals.systolic')} (${unit.id})`}
            description={t('vitals.systolicHint')}
            inputMode="decimal"
            isRequired
            value={systolic}
            onChange={setSystolic}
          />
          <TextInput
            name="diastolic"
            label={`${t('vitals.diastolic')} (${unit.id})`}
            description={t('vitals.diastolicHint')}
            inputMode="decimal"
            isRequired
            value={diastolic}
            onChange={setDiastolic}
          />
        </div>
      ) : (
        <TextInput
          name="value"
          label={`${t(`vitals.kind.${props.kind}`)} (${unit.id})`}
          inputMode="decimal"
          isRequired
          value={value}
          onChange={setValue}
        />
      )}
      <FormProblem error={record.error} />
      {saved && (
        <p role="status" className="notice notice-ok">
          {t('vitals.added')}
        </p>
      )}
      <Button type="submit" isDisabled={record.isPending}>
        {t('vitals.add')}
      </Button>
    </ApiForm>
  );
}
