import i18next, { type i18n } from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';
import { en } from './en.js';
import { zh } from './zh.js';

/** The languages the app speaks; the API's `locale` uses the same codes. */
export const languages = ['en', 'zh'] as const;
export type Language = (typeof languages)[number];

/** Where the chosen language is remembered (a preference, not a secret). */
export const languageStorageKey = 'tend.language';

/**
 * Sets up i18next: the language the person chose last, else the browser's, else English. The
 * `<html lang>` follows, so screen readers pronounce the page in the right language.
 */
export async function createI18n(): Promise<i18n> {
  const instance = i18next.createInstance();
  instance.on('languageChanged', (language) => {
    document.documentElement.lang = languageOf(language) === 'zh' ? 'zh-Hans' : 'en';
  });
  await instance
    .use(LanguageDetector)
    .use(initReactI18next)
    .init({
      resources: { en: { translation: en }, zh: { translation: zh } },
      supportedLngs: languages,
      nonExplicitSupportedLngs: true,
      load: 'languageOnly',
      fallbackLng: 'en',
      interpolation: { escapeValue: false },
      detection: {
        order: ['localStorage', 'navigator'],
        lookupLocalStorage: languageStorageKey,
        caches: ['localStorage'],
      },
      returnNull: false,
    });
  // The first language is chosen during init, before any change event.
  document.documentElement.lang = languageOf(instance.language) === 'zh' ? 'zh-Hans' : 'en';
  return instance;
}

/** The app's language of an i18next language tag (`zh-CN` → `zh`). */
export function languageOf(tag: string | undefined): Language {
  return tag?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}
