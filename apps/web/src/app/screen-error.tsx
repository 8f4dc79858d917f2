import { useTranslation } from 'react-i18next';

/** What a screen shows instead of itself when it failed: plain words and a way forward, never a stack trace. */
export function ScreenError({ reset }: { error: unknown; reset: () => void }) {
  const { t } = useTranslation();
  return (
    <div role="alert" className="notice notice-error stack">
      <p>{t('app.errorTitle')}</p>
      <button type="button" className="button button-secondary" onClick={reset}>
        {t('app.retry')}
      </button>
    </div>
  );
}
