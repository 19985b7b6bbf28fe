/** Left navigation between the workstation's screens. */
export type ScreenId = 'datasets' | 'review' | 'annotate' | 'jobs' | 'models';

export const SCREENS: { id: ScreenId; label: string; icon: string }[] = [
  { id: 'datasets', label: 'Datasets', icon: 'M3 4h7v7H3zM14 4h7v7h-7zM3 14h7v7H3zM14 14h7v7h-7z' },
  { id: 'review', label: 'Review', icon: 'M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12zm10 3a3 3 0 100-6 3 3 0 000 6z' },
  { id: 'annotate', label: 'Annotate', icon: 'M4 20l4-1 11-11-3-3L5 16l-1 4zM14 6l3 3' },
  { id: 'jobs', label: 'Jobs', icon: 'M4 6h16M4 12h10M4 18h13' },
  { id: 'models', label: 'Models', icon: 'M12 3l8 4.5v9L12 21l-8-4.5v-9L12 3zm0 0v18M4 7.5l8 4.5 8-4.5' },
];

export function NavRail({ current, onSelect }: { current: ScreenId; onSelect: (id: ScreenId) => void }) {
  return (
    <nav className="nav" aria-label="Screens">
      <div className="brand" title="Defect Studio">
        <span className="brand-mark">DS</span>
      </div>
      {SCREENS.map((s) => (
        <button
          key={s.id}
          className={`nav-item${current === s.id ? ' active' : ''}`}
          data-testid={`nav-${s.id}`}
          aria-current={current === s.id ? 'page' : undefined}
          onClick={() => onSelect(s.id)}
        >
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
            <path d={s.icon} />
          </svg>
          <span>{s.label}</span>
        </button>
      ))}
    </nav>
  );
}
