// Envoy versions as the proxy reports them (`Snapshot.envoyVersion`, `1.36.2`), compared where behaviour changed
// between releases.

/** Compares dotted versions numerically (`1.36.0` > `1.9.3`); undefined when either is not `x.y[.z]`. */
export function compareVersions(a: string, b: string): number | undefined {
  const parse = (v: string) => (/^\d+(\.\d+){1,2}$/.test(v) ? v.split('.').map(Number) : undefined);
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return undefined;
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
