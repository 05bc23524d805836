// Values the fix renderers and kinds share: plain objects merged field by field, and durations as Envoy's proto JSON
// writes them (google/protobuf/duration.proto JSON mapping: `300s`, `0.5s`). Which object each change lands in is
// its kind's (src/fixes/kinds/).

/** Deep-merges plain objects (later values win; arrays are replaced). */
export function deepMerge(into: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    const cur = into[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      into[k] = deepMerge({ ...(cur as Record<string, unknown>) }, v as Record<string, unknown>);
    } else into[k] = v;
  }
  return into;
}

/** A duration as Envoy's proto JSON writes it: `300s`, `0.5s`. */
export function protoDuration(ms: number): string {
  return `${ms / 1000}s`;
}
