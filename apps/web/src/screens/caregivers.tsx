import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { Checkbox, CheckboxGroup, FieldError, Label } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { ApiProblem, unwrap } from '../api/problem.js';
import { useGrants, useInvitations } from '../api/queries.js';
import { caregiverScopes, type CaregiverScope } from '../api/types.js';
import { useApi, useSignedIn } from '../app/api-context.js';
import { Button, ConfirmButton, fieldErrorsOf, FormProblem, QueryState, TextInput } from '../components/ui.js';
import { ApiForm } from '../components/api-form.js';

/**
 * Caregivers: whom the person lets see their record and what each may do, with invite, withdraw
 * and revoke; invitations sent to the person, to accept or decline; and, for a caregiver, the
 * people who granted them access.
 */
export function CaregiversScreen() {
  const { t } = useTranslation();
  const user = useSignedIn();
  const isCaregiver = user?.role === 'caregiver' || user?.role === 'admin';
  return (
    <div className="stack">
      <h1>{t('care.title')}</h1>
      <ReceivedInvitations />
      {isCaregiver && <Patients />}
      <YourCaregivers />
    </div>
  );
}

function YourCaregivers() {
  const { t } = useTranslation();
  const { client } = useApi();
  const queries = useQueryClient();
  const grants = useGrants('caregivers');
  const sent = useInvitations('sent');
  const [email, setEmail] = useState('');
  const [scopes, setScopes] = useState<CaregiverScope[]>(['read_vitals', 'read_medications']);
  const grant = useMutation({
    mutationFn: async () =>
      unwrap(client.POST('/api/v1/caregivers/invitations', { body: { email: email.trim(), scopes } })),
    onSuccess: async () => {
      setEmail('');
      await queries.invalidateQueries({ queryKey: ['invitations'] });
    },
  });
  const withdraw = useMutation({
    mutationFn: async (id: string) =>
      unwrap(client.DELETE('/api/v1/caregivers/invitations/{id}', { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['invitations'] }),
  });
  const revoke = useMutation({
    mutationFn: async (id: string) => unwrap(client.DELETE('/api/v1/caregivers/{id}', { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['grants'] }),
  });

  return (
    <>
      <section className="card stack" aria-labelledby="yours-title">
        <h2 id="yours-title">{t('care.yours')}</h2>
        <FormProblem error={revoke.error} />
        <QueryState
          isPending={grants.isPending}
          error={grants.error}
          onRetry={() => void grants.refetch()}
          isEmpty={grants.data?.length === 0}
          empty={t('care.none')}
        >
          <ul className="list">
            {grants.data?.map((entry) => (
              <li key={entry.id} className="grant">
                <div>
                  <strong>{entry.caregiverDisplayName}</strong> <span className="muted">{entry.caregiverEmail}</span>
                  <ul className="scopes">
                    {entry.scopes.map((scope) => (
                      <li key={scope}>{t(`care.scope.${scope as CaregiverScope}`)}</li>
                    ))}
                  </ul>
                </div>
                <ConfirmButton
                  label={t('care.revoke')}
                  ariaLabel={`${t('care.revoke')}: ${entry.caregiverDisplayName}`}
                  question={t('care.revokeConfirm', { name: entry.caregiverDisplayName })}
                  onConfirm={() => revoke.mutate(entry.id)}
                />
              </li>
            ))}
          </ul>
        </QueryState>
      </section>
      {(sent.data?.length ?? 0) > 0 && (
        <section className="card stack" aria-labelledby="waiting-title">
          <h2 id="waiting-title">{t('care.waiting')}</h2>
          <FormProblem error={withdraw.error} />
          <ul className="list">
            {sent.data?.map((entry) => (
              <li key={entry.id} className="grant">
                <div>
                  <strong>{entry.email}</strong>
                  <ul className="scopes">
                    {entry.scopes.map((scope) => (
                      <li key={scope}>{t(`care.scope.${scope as CaregiverScope}`)}</li>
                    ))}
                  </ul>
                </div>
                <Button
                  variant="secondary"
                  aria-label={`${t('care.withdraw')}: ${entry.email}`}
                  onPress={() => withdraw.mutate(entry.id)}
                >
                  {t('care.withdraw')}
                </Button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="card" aria-labelledby="grant-title">
        <h2 id="grant-title">{t('care.grantTitle')}</h2>
        <ApiForm
          className="stack"
          errors={fieldErrorsOf(grant.error)}
          onSubmit={() => {
            grant.mutate();
          }}
        >
          <FormProblem error={grant.error} />
          <TextInput
            name="email"
            type="email"
            label={t('care.email')}
            description={t('care.emailHint')}
            isRequired
            value={email}
            onChange={setEmail}
          />
          <CheckboxGroup
            name="scopes"
            className="choice"
            value={scopes}
            onChange={(value) => setScopes(value as CaregiverScope[])}
            isRequired
            isInvalid={fieldErrorsOf(grant.error).scopes !== undefined}
          >
            <Label>{t('care.scopes')}</Label>
            <div className="choice-options vertical">
              {caregiverScopes.map((scope) => (
                <Checkbox key={scope} value={scope} className="choice-option">
                  {t(`care.scope.${scope}`)}
                </Checkbox>
              ))}
            </div>
            <FieldError className="field-error">{fieldErrorsOf(grant.error).scopes}</FieldError>
          </CheckboxGroup>
          <Button type="submit" isDisabled={grant.isPending}>
            {t('care.grant')}
          </Button>
        </ApiForm>
      </section>
    </>
  );
}

/** Invitations to the person's own address; an unproven address is told to prove it first. */
function ReceivedInvitations() {
  const { t } = useTranslation();
  const { client } = useApi();
  const queries = useQueryClient();
  const received = useInvitations('received');
  const answer = useMutation({
    mutationFn: async ({ id, accept }: { id: string; accept: boolean }) =>
      accept
        ? unwrap(client.POST('/api/v1/invitations/{id}/accept', { params: { path: { id } } }))
        : unwrap(client.POST('/api/v1/invitations/{id}/decline', { params: { path: { id } } })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['invitations'] });
      await queries.invalidateQueries({ queryKey: ['grants'] });
    },
  });
  if (received.error instanceof ApiProblem && received.error.status === 412)
    return <p className="muted">{t('care.verifyToReceive')}</p>;
  if (!received.data?.length) return null;
  return (
    <section className="card stack" aria-labelledby="invited-title">
      <h2 id="invited-title">{t('care.invited')}</h2>
      <FormProblem error={answer.error} />
      <ul className="list">
        {received.data.map((entry) => (
          <li key={entry.id} className="grant">
            <div>
              <strong>{entry.patientDisplayName}</strong>
              <p className="muted">
                {t('care.offers', {
                  scopes: entry.scopes.map((scope) => t(`care.scope.${scope as CaregiverScope}`)).join(', '),
                })}
              </p>
            </div>
            <Button
              aria-label={`${t('care.accept')}: ${entry.patientDisplayName}`}
              isDisabled={answer.isPending}
              onPress={() => answer.mutate({ id: entry.id, accept: true })}
            >
              {t('care.accept')}
            </Button>
            <Button
              variant="secondary"
              aria-label={`${t('care.decline')}: ${entry.patientDisplayName}`}
              isDisabled={answer.isPending}
              onPress={() => answer.mutate({ id: entry.id, accept: false })}
            >
              {t('care.decline')}
            </Button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Patients() {
  const { t } = useTranslation();
  const patients = useGrants('patients');
  return (
    <section className="card stack" aria-labelledby="patients-title">
      <h2 id="patients-title">{t('care.patients')}</h2>
      <QueryState
        isPending={patients.isPending}
        error={patients.error}
        onRetry={() => void patients.refetch()}
        isEmpty={patients.data?.length === 0}
        empty={t('care.noPatients')}
      >
        <ul className="list">
          {patients.data?.map((entry) => (
            <li key={entry.id} className="grant">
              <div>
                <strong>{entry.patientDisplayName}</strong>
                <p className="muted">
                  {t('care.allows', {
                    scopes: entry.scopes.map((scope) => t(`care.scope.${scope as CaregiverScope}`)).join(', '),
                  })}
                </p>
              </div>
              <Link
                to="/patients/$patientId"
                params={{ patientId: entry.patientUserId }}
                className="button button-secondary"
              >
                {t('care.view')} {entry.patientDisplayName}
              </Link>
            </li>
          ))}
        </ul>
      </QueryState>
    </section>
  );
}
