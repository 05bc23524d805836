// Kubernetes resource quantities for byte sizes, as users write them (`1Mi`, `64Ki`), and durations as the
// Gateway API and Istio objects take them (`600s`, `250ms`).

/** A byte count as a Kubernetes quantity: `1Mi`, `512Ki`, or plain bytes. */
export function quantity(bytes: number): string {
  for (const [suffix, size] of [
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}

/** The bytes of a Kubernetes quantity a policy holds (`1Mi`, `64Ki`, `32768`, `1M`); undefined when it is not one. */
export function quantityBytes(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
  if (!m) return undefined;
  const scale: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Math.round(Number(m[1]) * (m[2] ? (scale[m[2]] as number) : 1));
}

/** The largest value one unit of a Gateway API / Envoy Gateway duration may carry (`[0-9]{1,5}`). */
const MAX_UNIT = 99_999;

/**
 * A duration as the Envoy Gateway and Gateway API CRDs accept it, `^([0-9]{1,5}(h|m|s|ms)){1,4}$`: whole hours,
 * minutes, seconds and milliseconds, each at most five digits: `600s` and `250ms` while they fit, else split
 * (`28h`, not `100800s`; `27h46m40s100ms`).
 * Past 99999 hours it is capped there.
 */
export function crdDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms));
  if (rest === 0) return '0s';
  // The plain forms while they fit: `600s`, `86400s`, `250ms`.
  if (rest % 1000 === 0 && rest / 1000 <= MAX_UNIT) return `${rest / 1000}s`;
  if (rest <= MAX_UNIT) return `${rest}ms`;
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const n = Math.min(Math.floor(rest / size), MAX_UNIT);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
    if (unit === 'h' && n === MAX_UNIT) break;
  }
  return parts.join('');
}

/** A Gateway API duration for a number of milliseconds: `600s`, `250ms`. */
export function gatewayDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
