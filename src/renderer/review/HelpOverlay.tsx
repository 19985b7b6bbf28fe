/** The Review screen's keyboard shortcuts (shown with ?; the list is also what the key handler implements). */
export const REVIEW_SHORTCUTS: [string, string][] = [
  ['↓ / J', 'next image (by score)'],
  ['↑ / K', 'previous image'],
  ['A', 'accept the verdict'],
  ['R', 'reject the verdict'],
  ['L', 'relabel (good ↔ first defect class)'],
  ['0', 'relabel as good'],
  ['1 … 9', 'relabel as defect class 1 … 9 (the classes of the dataset, as in Annotate)'],
  ['U', 'clear the decision'],
  ['[ / ]', 'threshold down / up (1% of the score range)'],
  ['H', 'heatmap on / off'],
  ['C', 'contour on / off'],
  ['F / Z', 'fit / actual pixels'],
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
