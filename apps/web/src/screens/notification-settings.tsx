import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Checkbox, CheckboxGroup, Label, Switch } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import {
  useAddDevice,
  useDevices,
  usePreferences,
  useRemoveDevice,
  useSavePreferences,
  useVerifyDevice,
} from '../api/notification-queries.js';
import type { Channel, Device, NotificationKind, NotificationPreferences } from '../api/types.js';
import { pushSupported, subscribeThisBrowser } from '../api/web-push.js';
import { useApi } from '../app/api-context.js';
import { ApiForm } from '../components/api-form.js';
import {
  Button,
  SaveButton,
  Choice,
  ConfirmButton,
  fieldErrorsOf,
  FormProblem,
  QueryState,
  TextInput,
} from '../components/ui.js';

// Emergencies are not a choice: they go out on every channel the person has, quiet hours or not.
const kinds = [
  'dose_reminder',
  'missed_dose',
  'urgent_reading',
  'appointment',
  'caregiver_alert',
  'health_advisory',
] as const satisfies readonly NotificationKind[];
const channels: readonly Channel[] = ['in_app', 'push', 'email', 'sms'];

/** How the person is told: channels per kind of message, and quiet hours. */
export function NotificationPreferencesCard() {
  const { t } = useTranslation();
  const preferences = usePreferences();
  return (
    <section className="card stack" id="notification-settings" aria-labelledby="preferences-title">
      <h2 id="preferences-title">{t('notify.title')}</h2>
      <QueryState
        isPending={preferences.isPending}
        error={preferences.error}
        onRetry={() => void preferences.refetch()}
      >
        {preferences.data && <PreferencesForm saved={preferences.data} />}
      </QueryState>
    </section>
  );
}

function PreferencesForm({ saved }: { saved: NotificationPreferences }) {
  const { t } = useTranslation();
  const save = useSavePreferences();
  const [chosen, setChosen] = useState(saved.channels);
  const [quiet, setQuiet] = useState(saved.quietHours !== null);
  const [start, setStart] = useState(saved.quietHours?.start ?? '22:00');
  const [end, setEnd] = useState(saved.quietHours?.end ?? '07:00');
  return (
    <ApiForm
      className="stack"
      errors={fieldErrorsOf(save.error)}
      onSubmit={() => save.mutate({ channels: chosen, quietHours: quiet ? { start, end } : null })}
    >
      <FormProblem error={save.error} />
      {kinds.map((kind) => (
        <CheckboxGroup
          key={kind}
          className="choice"
          value={chosen[kind] ?? []}
          onChange={(next) => setChosen({ ...chosen, [kind]: next as Channel[] })}
        >
          <Label>{t(`notify.kind.${kind}`)}</Label>
          <div className="choice-options">
            {channels.map((channel) => (
              <Checkbox key={channel} value={channel} className="choice-option">
                {t(`notify.channel.${channel}`)}
              </Checkbox>
            ))}
          </div>
        </CheckboxGroup>
      ))}
      <Switch className="switch" isSelected={quiet} onChange={setQuiet}>
        <span className="switch-track" aria-hidden="true" />
        {t('notify.quiet')}
      </Switch>
      {quiet && (
        <div className="row">
          <TextInput name="quietHours.start" label={t('notify.quietFrom')} value={start} onChange={setStart} />
          <TextInput name="quietHours.end" label={t('notify.quietUntil')} value={end} onChange={setEnd} />
        </div>
      )}
      <p className="muted">{t('notify.quietHint')}</p>
      <SaveButton saved={save.isSuccess} pending={save.isPending} />
    </ApiForm>
  );
}

/** Where messages go: phones and addresses (each proven with a code) and this browser's push. */
export function DevicesCard() {
  const { t } = useTranslation();
  const devices = useDevices();
  const remove = useRemoveDevice();
  return (
    <section className="card stack" aria-labelledby="devices-title">
      <h2 id="devices-title">{t('notify.devices')}</h2>
      <FormProblem error={remove.error} />
      <QueryState
        isPending={devices.isPending}
        error={devices.error}
        onRetry={() => void devices.refetch()}
        isEmpty={devices.data?.length === 0}
        empty={t('notify.noDevices')}
      >
        <ul className="list">
          {devices.data?.map((device) => (
            <li key={device.id} className="device">
              <div>
                <strong>{t(`notify.deviceKind.${device.kind}`)}</strong>{' '}
                {device.kind === 'push' ? t('notify.thisKindOfBrowser') : device.address}
                {!device.verified && <VerifyForm device={device} />}
              </div>
              <ConfirmButton
                label={t('notify.remove')}
                ariaLabel={`${t('notify.remove')}: ${device.kind === 'push' ? t('notify.deviceKind.push') : device.address}`}
                question={t('notify.removeConfirm')}
                onConfirm={() => remove.mutate(device.id)}
              />
            </li>
          ))}
        </ul>
      </QueryState>
      <AddDeviceForm />
      <PushSwitch />
    </section>
  );
}

function VerifyForm({ device }: { device: Device }) {
  const { t } = useTranslation();
  const verify = useVerifyDevice();
  const [code, setCode] = useState('');
  return (
    <ApiForm
      className="row"
      errors={fieldErrorsOf(verify.error)}
      onSubmit={() => verify.mutate({ id: device.id, code })}
    >
      <TextInput
        name="code"
        label={t('notify.code')}
        description={t('notify.codeHint', { address: device.address })}
        inputMode="numeric"
        isRequired
        value={code}
        onChange={setCode}
      />
      <Button type="submit" variant="secondary" isDisabled={verify.isPending}>
        {t('notify.verify')}
      </Button>
    </ApiForm>
  );
}

function AddDeviceForm() {
  const { t } = useTranslation();
  const add = useAddDevice();
  const [kind, setKind] = useState<'phone' | 'email'>('phone');
  const [address, setAddress] = useState('');
  return (
    <ApiForm
      className="stack"
      errors={fieldErrorsOf(add.error)}
      onSubmit={() => add.mutate({ kind, address: address.trim() }, { onSuccess: () => setAddress('') })}
    >
      <FormProblem error={add.error} />
      <Choice
        label={t('notify.addKind')}
        name="kind"
        value={kind}
        onChange={setKind}
        options={[
          { id: 'phone', label: t('notify.deviceKind.phone') },
          { id: 'email', label: t('notify.deviceKind.email') },
        ]}
      />
      <TextInput
        name="address"
        type={kind === 'email' ? 'email' : 'text'}
        label={kind === 'phone' ? t('notify.phone') : t('notify.email')}
        description={kind === 'phone' ? t('notify.phoneHint') : undefined}
        isRequired
        value={address}
        onChange={setAddress}
      />
      <Button type="submit" variant="secondary" isDisabled={add.isPending}>
        {t('notify.add')}
      </Button>
    </ApiForm>
  );
}

/** Turns on push messages in this browser; says plainly when the browser cannot or was refused. */
function PushSwitch() {
  const { t } = useTranslation();
  const api = useApi();
  const queries = useQueryClient();
  const subscribe = useMutation({
    mutationFn: () => subscribeThisBrowser(api),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['devices'] }),
  });
  if (!pushSupported()) return <p className="muted">{t('notify.pushUnsupported')}</p>;
  const refused = subscribe.error instanceof DOMException && subscribe.error.name === 'NotAllowedError';
  return (
    <div className="stack">
      <Button variant="secondary" onPress={() => subscribe.mutate()} isDisabled={subscribe.isPending}>
        {t('notify.pushOn')}
      </Button>
      {subscribe.isSuccess && (
        <p role="status" className="notice notice-ok">
          {t('notify.pushOnDone')}
        </p>
      )}
      {refused ? (
        <p role="alert" className="notice notice-error">
          {t('notify.pushRefused')}
        </p>
      ) : (
        <FormProblem error={subscribe.error} />
      )}
    </div>
  );
}
