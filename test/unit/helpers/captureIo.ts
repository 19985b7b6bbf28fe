/** A CliIO that records what a command prints: `io` to pass to a command's run(), `out`/`err` to assert on. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}
