import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { Switch } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { unwrap } from '../api/problem.js';
import { useApi, useSignedIn } from '../app/api-context.js';
import { applyDisplayPrefs, loadDisplayPrefs, type DisplayPrefs, type TextSize } from '../app/display-prefs.js';
import { Button, SaveButton, Choice, ConfirmButton, fieldErrorsOf, FormProblem, TextInput } from '../components/ui.js';
import { languageOf, type Language } from '../i18n/index.js';
import { ApiForm } from '../components/api-form.js';
import { DevicesCard, NotificationPreferencesCard } from './notification-settings.js';

/**
 * Settings: name, time zone, language, text size, contrast, how notifications reach the person,
 * the FHIR file out and in, and deleting the account.
 */
export function SettingsScreen() {
  const { t } = useTranslation();
  return (
    <div className="stack">
      <h1>{t('settings.title')}</h1>
      <div className="grid">
        <Profile />
        <Display />
        <NotificationPreferencesCard />
        <DevicesCard />
        <Record />
      </div>
    </div>
  );
}

function Profile() {
  const { t, i18n } = useTranslation();
  const { client, session } = useApi();
  const user = useSignedIn();
  const [displayName, setDisplayName] = useState(user?.displayName ?? '');
  const [timezone, setTimezone] = useState(user?.timeZone ?? 'UTC');
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: async (body: { displayName?: string; timezone?: string; locale?: Language }) =>
      (await unwrap(client.PATCH('/api/v1/me', { body }))) as Record<string, unknown>,
    onSuccess: (profile) => {
      session.updateUser(profile);
      setSaved(true);
    },
  });
  const language = languageOf(i18n.language);
  return (
    <section className="card stack" aria-labelledby="profile-title">
      <h2 id="profile-title">{t('settings.profile')}</h2>
      <Choice
        label={t('settings.language')}
        name="language"
        value={language}
        onChange={(next: Language) => {
          void i18n.changeLanguage(next);
          save.mutate({ locale: next });
        }}
        options={[
          { id: 'en', label: 'English' },
          { id: 'zh', label: '中文' },
        ]}
      />
      <ApiForm
        className="stack"
        errors={fieldErrorsOf(save.error)}
        onSubmit={() => {
          setSaved(false);
          save.mutate({ displayName: displayName.trim(), timezone: timezone.trim() });
        }}
      >
        <FormProblem error={save.error} />
        <TextInput
          name="displayName"
          label={t('auth.displayName')}
          isRequired
          value={displayName}
          onChange={setDisplayName}
        />
        <TextInput
          name="timezone"
          label={t('settings.timeZone')}
          description={t('settings.timeZoneHint')}
          isRequired
          value={timezone}
          onChange={setTimezone}
        />
        <SaveButton saved={saved} pending={save.isPending} />
      </ApiForm>
    </section>
  );
}

function Display() {
  const { t } = useTranslation();
  const [prefs, setPrefs] = useState<DisplayPrefs>(loadDisplayPrefs);
  const update = (next: DisplayPrefs) => {
    setPrefs(next);
    applyDisplayPrefs(next);
  };
  return (
    <section className="card stack" aria-labelledby="display-title">
      <h2 id="display-title">{t('settings.textSize')}</h2>
      <Choice
        label={t('settings.textSize')}
        name="textSize"
        value={prefs.textSize}
        onChange={(textSize: TextSize) => update({ ...prefs, textSize })}
        options={(['large', 'larger', 'largest'] as const).map((id) => ({ id, label: t(`settings.${id}`) }))}
      />
      <Switch
        className="switch"
        isSelected={prefs.highContrast}
        onChange={(highContrast) => update({ ...prefs, highContrast })}
      >
        <span className="switch-track" aria-hidden="true" />
        {t('settings.contrast')}
      </Switch>
    </section>
  );
}

function Record() {
  const { t } = useTranslation();
  const { client, session, authorizedFetch } = useApi();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [imported, setImported] = useState<number | undefined>(undefined);

  const exportRecord = useMutation({
    mutationFn: async () => {
      const response = await authorizedFetch(new Request(`${location.origin}/api/v1/fhir/export`));
      if (!response.ok) throw new Error(`export answered ${response.status}`);
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = 'tend-record.fhir.json';
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
  });

  const importRecord = useMutation({
    mutationFn: async (file: File) => {
      const bundle = JSON.parse(await file.text()) as { resourceType: 'Bundle' };
      const result = (await unwrap(
        client.POST('/api/v1/fhir/import', { params: { query: {} }, body: bundle }),
      )) as Record<string, unknown>;
      const count = Object.values(result).reduce<number>((sum, v) => sum + (typeof v === 'number' ? v : 0), 0);
      setImported(count);
      await queries.invalidateQueries();
    },
  });

  const deleteAccount = useMutation({
    mutationFn: async () => unwrap(client.DELETE('/api/v1/me')),
    onSuccess: async () => {
      session.signOut();
      queries.clear();
      await navigate({ to: '/signin' });
    },
  });

  return (
    <section className="card stack" aria-labelledby="record-title">
      <h2 id="record-title">{t('settings.export')}</h2>
      <p className="muted">{t('settings.exportHint')}</p>
      <Button variant="secondary" isDisabled={exportRecord.isPending} onPress={() => exportRecord.mutate()}>
        {exportRecord.isPending ? t('settings.exporting') : t('settings.export')}
      </Button>
      <FormProblem error={exportRecord.error} />
      <label className="field">
        <span>{t('settings.import')}</span>
        <input
          type="file"
          accept=".json,application/fhir+json,application/json"
          disabled={importRecord.isPending}
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) importRecord.mutate(file);
          }}
        />
      </label>
      {importRecord.isPending && (
        <p role="status">
          <progress /> {t('settings.importing')}
        </p>
      )}
      {imported !== undefined && (
        <p role="status" className="notice notice-ok">
          {t('settings.imported', { count: imported })}
        </p>
      )}
      <FormProblem error={importRecord.error} />
      <ConfirmButton
        label={t('settings.deleteAccount')}
        question={t('settings.deleteConfirm')}
        confirmLabel={t('settings.deleteYes')}
        onConfirm={() => deleteAccount.mutate()}
      />
      <FormProblem error={deleteAccount.error} />
    </section>
  );
}
