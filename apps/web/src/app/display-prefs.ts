/** How large the text is: the app starts large (20 px), for eyes that are not young. */
export type TextSize = 'large' | 'larger' | 'largest';

/** Display preferences of this browser: not health data, so kept in localStorage. */
export interface DisplayPrefs {
  textSize: TextSize;
  highContrast: boolean;
}

const storageKey = 'tend.display';

/** The saved preferences, or the defaults (large text; high contrast when the system asks for more). */
export function loadDisplayPrefs(): DisplayPrefs {
  const defaults: DisplayPrefs = {
    textSize: 'large',
    highContrast: globalThis.matchMedia?.('(prefers-contrast: more)').matches ?? false,
  };
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey) ?? '{}') as Partial<DisplayPrefs>;
    return {
      textSize: saved.textSize === 'larger' || saved.textSize === 'largest' ? saved.textSize : defaults.textSize,
      highContrast: typeof saved.highContrast === 'boolean' ? saved.highContrast : defaults.highContrast,
    };
  } catch {
    return defaults;
  }
}

/** Applies the preferences to the page (attributes the stylesheet reads) and saves them. */
export function applyDisplayPrefs(prefs: DisplayPrefs, save = true): void {
  document.documentElement.dataset.textSize = prefs.textSize;
  document.documentElement.dataset.contrast = prefs.highContrast ? 'high' : 'normal';
  if (save) localStorage.setItem(storageKey, JSON.stringify(prefs));
}
