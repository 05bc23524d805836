// Kubernetes resource quantities for byte sizes, as users write them (`1Mi`, `64Ki`).

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
