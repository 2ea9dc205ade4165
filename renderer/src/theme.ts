/**
 * Light and dark themes. The default follows `prefers-color-scheme`; the header toggle cycles
 * system → light → dark and remembers the choice in localStorage (a preference, nothing secret).
 * Charts listen for the `ipwarden:theme` window event to pick up the new colours.
 */

export type ThemePreference = 'system' | 'light' | 'dark';

const KEY = 'ipwarden.theme';
const ORDER: readonly ThemePreference[] = ['system', 'light', 'dark'];
export const THEME_EVENT = 'ipwarden:theme';

function stored(): ThemePreference {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    // Storage disabled (privacy mode): the system theme applies.
    return 'system';
  }
}

function apply(preference: ThemePreference): void {
  if (preference === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = preference;
}

/** The theme in effect now. */
export function effectiveTheme(): 'light' | 'dark' {
  const preference = document.documentElement.dataset.theme;
  if (preference === 'light' || preference === 'dark') return preference;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Applies the stored preference and wires the toggle button. */
export function setupTheme(toggle: HTMLButtonElement): void {
  let preference = stored();
  const label = toggle.querySelector('.theme-label');
  const render = () => {
    apply(preference);
    toggle.setAttribute('aria-label', `Theme: ${preference}. Change theme`);
    toggle.title = `Theme: ${preference}`;
    if (label !== null) label.textContent = preference[0]?.toUpperCase() + preference.slice(1);
    window.dispatchEvent(new Event(THEME_EVENT));
  };
  toggle.addEventListener('click', () => {
    preference = ORDER[(ORDER.indexOf(preference) + 1) % ORDER.length] ?? 'system';
    try {
      if (preference === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, preference);
    } catch (error) {
      console.warn('ipwarden: cannot remember the theme', error);
    }
    render();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (preference === 'system') window.dispatchEvent(new Event(THEME_EVENT));
  });
  render();
}
