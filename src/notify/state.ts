// What each sink has been told, kept between runs: a local JSON file (written to a temporary file, then renamed
// over the old one) or a ConfigMap (read, then replaced with its resourceVersion; on 409 Conflict re-read, re-apply
// this run's changes, try again). Only changes for posted events are written, so a sink that was down loses nothing.

import { randomBytes } from 'node:crypto';
import { access, constants, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import { SEVERITIES } from '../model/finding.ts';
import { RequestError } from '../model/request-error.ts';
import { InputError } from '../parse/input-error.ts';
import type { SinkState, StateEntry } from './events.ts';

/** The state document's version. */
const STATE_VERSION = 1;

/** The ConfigMap data key that holds the state. */
const CONFIGMAP_KEY = 'state.json';

/** Every sink's state. */
interface NotifyState {
  version: typeof STATE_VERSION;
  sinks: Record<string, SinkState>;
}

/** One change to write: a sink's entry for a fingerprint, or its removal (null). */
export interface StateChange {
  sink: string;
  fingerprint: string;
  next: StateEntry | null;
}

/** Where `--state` points. */
type StateSpec = { kind: 'file'; path: string } | { kind: 'configmap'; namespace: string; name: string };

/** A place the state is kept. */
export interface StateStore {
  /** `state file /x/y.json` or `configmap NS/NAME`, for messages. */
  readonly label: string;
  /** Reads the state; a store that does not exist yet reads as empty. */
  read(): Promise<NotifyState>;
  /** Applies changes on top of the latest stored state and writes it. */
  write(changes: StateChange[]): Promise<void>;
}

/** A state with nothing posted yet. */
export function emptyState(): NotifyState {
  return { version: STATE_VERSION, sinks: {} };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CONFIGMAP_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Parses `--state`: `configmap:NAMESPACE/NAME`, or a file path. */
export function parseStateSpec(text: string): StateSpec {
  if (text.startsWith('configmap:')) {
    const m = /^configmap:([^/]+)\/([^/]+)$/.exec(text);
    if (!m || !DNS_LABEL.test(m[1] as string) || !CONFIGMAP_NAME.test(m[2] as string) || (m[2] as string).length > 253) {
      throw new RequestError(`--state ${text}: expected configmap:NAMESPACE/NAME with Kubernetes names (lowercase letters, digits, '-')`);
    }
    return { kind: 'configmap', namespace: m[1] as string, name: m[2] as string };
  }
  if (text.trim() === '') throw new RequestError('--state: expected a file path or configmap:NAMESPACE/NAME');
  return { kind: 'file', path: text };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validEntry(v: unknown): v is StateEntry {
  if (!isRecord(v)) return false;
  return (
    typeof v.rootCause === 'string' &&
    typeof v.severity === 'string' &&
    (SEVERITIES as readonly string[]).includes(v.severity) &&
    (v.scope === null || typeof v.scope === 'string') &&
    Array.isArray(v.entities) &&
    v.entities.every((e) => isRecord(e) && typeof e.kind === 'string' && typeof e.name === 'string') &&
    typeof v.openedAt === 'string' &&
    !Number.isNaN(Date.parse(v.openedAt)) &&
    typeof v.notifiedAt === 'string' &&
    !Number.isNaN(Date.parse(v.notifiedAt))
  );
}

/** Parses a stored state; throws an InputError naming `source` when it is not envoy-doctor state. */
export function parseState(text: string, source: string): NotifyState {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InputError(source, 'not JSON; expected the envoy-doctor notification state ({"version": 1, "sinks": {...}})');
  }
  if (!isRecord(doc) || typeof doc.version !== 'number' || !isRecord(doc.sinks)) {
    throw new InputError(source, 'not envoy-doctor notification state; expected {"version": 1, "sinks": {...}}');
  }
  if (doc.version !== STATE_VERSION)
    throw new InputError(source, `state version ${doc.version}; expected ${STATE_VERSION} (written by another envoy-doctor release)`);
  const sinks: Record<string, SinkState> = {};
  for (const [sink, entries] of Object.entries(doc.sinks)) {
    if (!isRecord(entries)) throw new InputError(source, `sinks.${sink}: expected an object of entries by fingerprint`);
    for (const [fp, entry] of Object.entries(entries)) {
      if (!validEntry(entry)) throw new InputError(source, `sinks.${sink}.${fp}: expected {rootCause, severity, scope, entities, openedAt, notifiedAt}`);
    }
    sinks[sink] = entries as SinkState;
  }
  return { version: STATE_VERSION, sinks };
}

/** Applies changes to a state (a new object; the input is not modified). */
export function applyChanges(state: NotifyState, changes: StateChange[]): NotifyState {
  const sinks: Record<string, SinkState> = {};
  for (const [k, v] of Object.entries(state.sinks)) sinks[k] = { ...v };
  for (const c of changes) {
    const sink = (sinks[c.sink] ??= {});
    if (c.next) sink[c.fingerprint] = c.next;
    else delete sink[c.fingerprint];
  }
  for (const [k, v] of Object.entries(sinks)) if (Object.keys(v).length === 0) delete sinks[k];
  return { version: STATE_VERSION, sinks };
}

/** The state as stored: stable key order, two-space indent. */
function serializeState(state: NotifyState): string {
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const sinks = sorted(Object.fromEntries(Object.entries(state.sinks).map(([k, v]) => [k, sorted(v)])));
  return `${JSON.stringify({ version: state.version, sinks }, null, 2)}\n`;
}

function ioReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'no such directory';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EROFS') return 'read-only file system';
  return code ?? (err as Error).message;
}

/** A state kept in a local JSON file. */
export class FileStateStore implements StateStore {
  readonly label: string;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    this.label = `state file ${path}`;
  }

  /** Checks that the file can be written (its directory exists and is writable), before anything is posted. */
  async check(): Promise<void> {
    try {
      await access(dirname(this.path), constants.W_OK);
    } catch (err) {
      throw new RequestError(`--state ${this.path}: cannot write there (${ioReason(err)}); expected a file in an existing, writable directory`);
    }
  }

  async read(): Promise<NotifyState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw new InputError(`--state ${this.path}`, `cannot read (${ioReason(err)}); expected a readable JSON file`);
    }
    if (text.trim() === '') return emptyState();
    return parseState(text, `--state ${this.path}`);
  }

  async write(changes: StateChange[]): Promise<void> {
    if (changes.length === 0) return;
    const next = applyChanges(await this.read(), changes);
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, serializeState(next), { mode: 0o600 });
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new StateWriteError(`${this.label}: cannot write (${ioReason(err)})`);
    }
  }
}

/** The state could not be saved after posting; the next run posts the same events again. */
export class StateWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateWriteError';
  }
}

/** How many times a ConfigMap write is tried when others keep changing it. */
const CONFIGMAP_ATTEMPTS = 5;

/** Turns a failed Kubernetes API call into one error naming the verb and resource (cli passes collect's kubeFailure). */
type KubeFailure = (err: unknown, verb: string, resource: string, namespace?: string) => Error;

/** A state kept in a ConfigMap, under the data key `state.json`; other keys are kept as they are. */
export class ConfigMapStateStore implements StateStore {
  readonly label: string;
  private readonly core: CoreV1Api;
  private readonly namespace: string;
  private readonly name: string;
  private readonly kubeFailure: KubeFailure;

  constructor(core: CoreV1Api, namespace: string, name: string, kubeFailure: KubeFailure) {
    this.core = core;
    this.namespace = namespace;
    this.name = name;
    this.kubeFailure = kubeFailure;
    this.label = `configmap ${namespace}/${name}`;
  }

  /** The ConfigMap, or undefined when it does not exist. */
  private async fetch(): Promise<V1ConfigMap | undefined> {
    try {
      return await this.core.readNamespacedConfigMap({ name: this.name, namespace: this.namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw this.kubeFailure(err, 'get', `configmaps/${this.name}`, this.namespace);
    }
  }

  private stateOf(cm: V1ConfigMap | undefined): NotifyState {
    const text = cm?.data?.[CONFIGMAP_KEY];
    if (text === undefined || text.trim() === '') return emptyState();
    return parseState(text, `${this.label} key ${CONFIGMAP_KEY}`);
  }

  async read(): Promise<NotifyState> {
    return this.stateOf(await this.fetch());
  }

  async write(changes: StateChange[]): Promise<void> {
    if (changes.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      const cm = await this.fetch();
      const text = serializeState(applyChanges(this.stateOf(cm), changes));
      try {
        if (!cm) {
          await this.core.createNamespacedConfigMap({
            namespace: this.namespace,
            body: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: this.name, namespace: this.namespace, labels: { 'app.kubernetes.io/managed-by': 'envoy-doctor' } },
              data: { [CONFIGMAP_KEY]: text },
            },
          });
        } else {
          await this.core.replaceNamespacedConfigMap({
            name: this.name,
            namespace: this.namespace,
            body: { ...cm, data: { ...(cm.data ?? {}), [CONFIGMAP_KEY]: text } },
          });
        }
        return;
      } catch (err) {
        // 409: someone else created or changed it since it was read: read again and re-apply this run's changes.
        if ((err as { code?: number }).code === 409 && attempt < CONFIGMAP_ATTEMPTS) continue;
        const failure = this.kubeFailure(err, cm ? 'update' : 'create', cm ? `configmaps/${this.name}` : 'configmaps', this.namespace);
        throw new StateWriteError(
          `${this.label}: ${(err as { code?: number }).code === 409 ? `still changed by another writer after ${attempt} attempts` : failure.message}`,
        );
      }
    }
  }
}
