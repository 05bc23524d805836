// A configuration change a root cause proposes, independent of how a control plane expresses it. Each kind is
// declared by its own module, src/fixes/kinds/<kind>.ts, which adds its fields to FixChangeKinds (TypeScript
// declaration merging) and says how every flavor renders it; FixChange is the union of what they declare.

/** The fields of each kind of change, by kind: filled in by the kind modules. */
// biome-ignore lint/suspicious/noEmptyInterface: the kind modules fill it in by declaration merging, which a type alias cannot take
export interface FixChangeKinds {}

/** A kind of change (`cluster-buffer-limit`, `route-timeout`, ...). */
export type FixChangeKind = keyof FixChangeKinds;

/** A configuration change: its kind and that kind's fields. */
export type FixChange = { [K in FixChangeKind]: { kind: K } & FixChangeKinds[K] }[FixChangeKind];

/** The change of one kind. */
export type FixChangeOf<K extends FixChangeKind> = Extract<FixChange, { kind: K }>;
