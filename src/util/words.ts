/** `1 batch`, `2 batches`: a count with its noun in the right number. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}

/** Thousands separated the same way on every machine: `200,000`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A duration in ms, or a word when there is none (never `- ms`). */
export function formatMs(ms: number | null | undefined, none = 'none yet'): string {
  return ms === null || ms === undefined ? none : `${formatCount(ms)} ms`;
}
