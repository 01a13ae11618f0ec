import { useThemeStore } from '../stores/theme-store';

const LABELS = { system: 'System', light: 'Light', dark: 'Dark' } as const;
const ICONS = { system: '◐', light: '☀', dark: '☾' } as const;

/** Cycles the colour theme: follow the OS, light, dark. */
export function ThemeToggle() {
  const preference = useThemeStore((store) => store.preference);
  const cycle = useThemeStore((store) => store.cycle);
  return (
    <button
      type="button"
      className="button-ghost theme-toggle"
      onClick={cycle}
      aria-label={`Theme: ${LABELS[preference]}. Switch theme`}
      title="Switch between system, light and dark theme"
    >
      <span aria-hidden="true">{ICONS[preference]}</span> {LABELS[preference]}
    </button>
  );
}
