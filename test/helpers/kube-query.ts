// What a request's query asks of the fake Kubernetes API server (test/helpers/kube-api.ts): label selectors parsed
// and matched as apimachinery does, field selectors on the fields the API server supports, and integer and boolean
// parameters, each refused with the API server's 400 when malformed.

import type { KubeObject, Labels } from './kube-cluster.ts';
import { badRequest } from './kube-refusals.ts';

// ---------------------------------------------------------------------------------------------------------------
// Label selectors

/** One label selector requirement. */
export interface LabelRequirement {
  key: string;
  op: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
  values: string[];
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SPECIALS = ' \t!=(),<>';

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (text.startsWith('==', i) || text.startsWith('!=', i)) {
      tokens.push(text.slice(i, i + 2));
      i += 2;
    } else if (SPECIALS.includes(c)) {
      tokens.push(c);
      i++;
    } else {
      let j = i;
      while (j < text.length && !SPECIALS.includes(text[j] as string)) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

/** Parses a label selector as apimachinery's `labels.Parse` does; throws on bad syntax. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const tokens = tokenize(text);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const isIdent = (t: string | undefined) => t !== undefined && !SPECIALS.includes(t[0] as string);
  const fail = (what: string): never => {
    throw new Error(`unable to parse requirement: ${what}`);
  };
  const key = (): string => {
    const k = tokens[i++];
    if (!isIdent(k)) fail(`found '${k ?? 'end of string'}', expected: identifier`);
    if (!LABEL_KEY.test(k as string) || (k as string).length > 317)
      fail(`Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`);
    return k as string;
  };
  const value = (): string => {
    const v = tokens[i];
    if (!isIdent(v)) return ''; // `key=` selects an empty value
    i++;
    if (!LABEL_VALUE.test(v as string) || (v as string).length > 63)
      fail(`Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`);
    return v as string;
  };
  while (i < tokens.length) {
    if (tokens[i] === '!') {
      i++;
      reqs.push({ key: key(), op: '!exists', values: [] });
    } else {
      const k = key();
      const op = tokens[i];
      if (op === undefined || op === ',') {
        reqs.push({ key: k, op: 'exists', values: [] });
      } else if (op === '=' || op === '==' || op === '!=') {
        i++;
        reqs.push({ key: k, op: op === '!=' ? '!=' : '=', values: [value()] });
      } else if (op === 'in' || op === 'notin') {
        i++;
        if (tokens[i++] !== '(') fail(`found '${tokens[i - 1] ?? 'end of string'}', expected: '('`);
        const values: string[] = [];
        while (tokens[i] !== ')') {
          if (tokens[i] === undefined) fail("found 'end of string', expected: ')'");
          values.push(value());
          if (tokens[i] === ',') i++;
          else if (tokens[i] !== ')') fail(`found '${tokens[i] ?? 'end of string'}', expected: ',' or ')'`);
        }
        i++;
        if (values.length === 0) fail("for 'in', 'notin' operators, values set can't be empty");
        reqs.push({ key: k, op, values });
      } else if (op === '>' || op === '<') {
        i++;
        const v = tokens[i++];
        if (v === undefined || !/^-?\d+$/.test(v)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        reqs.push({ key: k, op: op === '>' ? 'gt' : 'lt', values: [v as string] });
      } else {
        fail(`found '${op}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    if (i < tokens.length) {
      if (tokens[i] !== ',') fail(`found '${tokens[i]}', expected: ',' or 'end of string'`);
      i++;
      if (i === tokens.length) fail("found 'end of string', expected: identifier");
    }
  }
  return reqs;
}

/** Whether labels satisfy every requirement. */
export function matchesLabels(reqs: LabelRequirement[], labels: Labels | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v as string);
      case 'notin':
        return !has || !r.values.includes(v as string);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v as string)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        return r.op === 'gt' ? n > bound : n < bound;
      }
    }
    return false;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Field selectors

const POD_FIELDS = new Set([
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
]);

/** The objects a field selector keeps, for a resource keyed `${group}/${plural}`. */
export function fieldFilter(text: string, resourceKey: string): (o: KubeObject) => boolean {
  const terms = text
    .split(',')
    .filter((t) => t.length > 0)
    .map((term) => {
      const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
      if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
      const [, field, op, want] = m as unknown as [string, string, string, string];
      if (field !== 'metadata.name' && field !== 'metadata.namespace' && !(resourceKey === '/pods' && POD_FIELDS.has(field))) {
        throw badRequest(`field label not supported: ${field}`);
      }
      return { field, negate: op === '!=', want };
    });
  return (o) =>
    terms.every(({ field, negate, want }) => {
      let v: unknown = o;
      for (const part of field.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
      const got = v === undefined || v === null ? '' : String(v);
      return (got === want) !== negate;
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Parameters

/** An integer query parameter, undefined when absent or empty. */
export function intParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`${name}: Invalid value: "${raw}": must be an integer`);
  return Number(raw);
}

/** A boolean query parameter: `true` or `1`. */
export const boolParam = (params: URLSearchParams, name: string) => params.get(name) === 'true' || params.get(name) === '1';
