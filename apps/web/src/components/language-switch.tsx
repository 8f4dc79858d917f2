import { useTranslation } from 'react-i18next';
import { Button } from './ui.js';
import { languageOf } from '../i18n/index.js';

/** Switches between English and Chinese, each named in its own language. */
export function LanguageSwitch({ onChange }: { onChange?: (language: 'en' | 'zh') => void }) {
  const { i18n } = useTranslation();
  const current = languageOf(i18n.language);
  const next = current === 'zh' ? 'en' : 'zh';
  return (
    <Button
      variant="quiet"
      onPress={() => {
        void i18n.changeLanguage(next);
        onChange?.(next);
      }}
    >
      <span lang={next === 'zh' ? 'zh-Hans' : 'en'}>{next === 'zh' ? '中文' : 'English'}</span>
    </Button>
  );
}
