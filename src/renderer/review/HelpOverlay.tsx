/** The Review screen's keyboard shortcuts (shown with ?; the list is also what the key handler implements). */
export const REVIEW_SHORTCUTS: [string, string][] = [
  ['↓ / J', 'next image (by score)'],
  ['↑ / K', 'previous image'],
  ['A', 'accept the verdict'],
  ['R', 'reject the verdict'],
  ['L', 'relabel (good ↔ defect)'],
  ['U', 'clear the decision'],
  ['[ / ]', 'threshold down / up (1% of the score range)'],
  ['H', 'heatmap on / off'],
  ['C', 'contour on / off'],
  ['F / 1', 'fit / actual pixels'],
  ['+ / −', 'zoom in / out'],
  ['?', 'this help'],
];

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <div className="help-backdrop" role="dialog" aria-modal="true" aria-label="Review shortcuts" data-testid="review-help" onClick={onClose}>
      <div className="help-card" onClick={(e) => e.stopPropagation()}>
        <header className="help-head">
          <h3>Review shortcuts</h3>
          <button className="btn small ghost" onClick={onClose} autoFocus aria-label="Close help">
            ✕
          </button>
        </header>
        <table className="help-table">
          <tbody>
            {REVIEW_SHORTCUTS.map(([k, what]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
