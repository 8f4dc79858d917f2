import { useParams } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAdherence, useGrants, useMedications, type ChartRange } from '../api/queries.js';
import type { CaregiverScope } from '../api/types.js';
import { Choice, QueryState } from '../components/ui.js';
import { unitOf, vitalKinds, type VitalKind } from '../domain/units.js';
import { MedicationCard } from './medications.js';
import { History } from './vitals.js';

/**
 * A caregiver's view of one person: only what the grant allows, and it says what it leaves out,
 * so the caregiver never mistakes "not shared" for "nothing there".
 */
export function PatientScreen() {
  const { t } = useTranslation();
  const { patientId } = useParams({ from: '/signed-in/patients/$patientId' });
  const patients = useGrants('patients');
  const grant = patients.data?.find((entry) => entry.patientUserId === patientId);
  const scopes = new Set(grant?.scopes ?? []);
  const name = grant?.patientDisplayName ?? '';

  return (
    <div className="stack">
      <QueryState isPending={patients.isPending} error={patients.error} onRetry={() => void patients.refetch()}>
        <h1>{t('care.patientTitle', { name })}</h1>
        <p className="muted">
          {t('care.allows', {
            scopes: [...scopes].map((scope) => t(`care.scope.${scope as CaregiverScope}`)).join(', '),
          })}
        </p>
        {scopes.has('read_vitals') ? (
          <PatientVitals patientId={patientId} />
        ) : (
          <p className="notice">
            {t('care.notAllowed', { name })}: {t('care.scope.read_vitals')}
          </p>
        )}
        {scopes.has('read_medications') ? (
          <PatientMedications patientId={patientId} />
        ) : (
          <p className="notice">
            {t('care.notAllowed', { name })}: {t('care.scope.read_medications')}
          </p>
        )}
      </QueryState>
    </div>
  );
}

function PatientVitals({ patientId }: { patientId: string }) {
  const { t } = useTranslation();
  const [kind, setKind] = useState<VitalKind>('blood_pressure');
  const [range, setRange] = useState<ChartRange>('week');
  return (
    <section className="card stack" aria-labelledby="patient-vitals">
      <h2 id="patient-vitals">{t('vitals.title')}</h2>
      <Choice
        label={t('vitals.kindLabel')}
        name="kind"
        value={kind}
        onChange={setKind}
        options={vitalKinds.map((id) => ({ id, label: t(`vitals.kind.${id}`) }))}
      />
      <Choice
        label={t('vitals.range')}
        name="range"
        value={range}
        onChange={setRange}
        options={(['week', 'month', 'year'] as const).map((id) => ({ id, label: t(`vitals.${id}`) }))}
      />
      <History kind={kind} unitId={unitOf(kind, undefined).id} range={range} patientId={patientId} />
    </section>
  );
}

function PatientMedications({ patientId }: { patientId: string }) {
  const { t } = useTranslation();
  const medications = useMedications(patientId);
  const adherence = useAdherence(patientId);
  return (
    <section className="stack" aria-labelledby="patient-meds">
      <h2 id="patient-meds">{t('meds.title')}</h2>
      <QueryState
        isPending={medications.isPending}
        error={medications.error}
        onRetry={() => void medications.refetch()}
        isEmpty={medications.data?.length === 0}
        empty={t('meds.none')}
      >
        <ul className="list cards">
          {medications.data?.map((medication) => (
            <MedicationCard key={medication.id} medication={medication} adherence={adherence.data} doses={[]} />
          ))}
        </ul>
      </QueryState>
    </section>
  );
}
