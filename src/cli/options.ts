// Option parsers and option groups shared by the commands.

import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Severity } from '../model/finding.ts';
import { parseDurationMs } from '../parse/durations.ts';
import { pushUrl } from '../report/publish.ts';
import { UsageError } from './usage-error.ts';

/** Parses `30s`, `1m30s`, `250ms`, `0`. */
export function durationArg(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 30s, 1m or 1m30s');
  return ms;
}

/** Parses a positive whole number. */
function countArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** Parses a whole number of zero or more. */
export function retriesArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 10) throw new InvalidArgumentError('expected a whole number from 0 to 10');
  return n;
}

/** Parses a duration that must be above zero. */
export function positiveDurationArg(value: string): number {
  const ms = durationArg(value);
  if (ms <= 0) throw new InvalidArgumentError('expected a duration above zero, such as 15s');
  return ms;
}

/** Parses a port number. */
function portArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port number (1-65535)');
  return n;
}

/** Collects a repeatable option's values. */
function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Report formats `-o` accepts; `wide` is the table with every finding (`--all`). */
const REPORT_FORMATS = ['table', 'wide', 'json', 'markdown', 'html'] as const;

/** Report options every diagnosing command takes. */
export interface ReportOptions {
  output: (typeof REPORT_FORMATS)[number];
  failOn: Severity | 'none';
  color?: boolean;
  /** The table lists the findings that back no root cause too. */
  all?: boolean;
  /** Write the findings as Prometheus text exposition to this file (atomically). */
  metricsFile?: string;
  /** Push the same exposition to this Pushgateway. */
  push?: string;
  /** Pushgateway grouping key `instance`. */
  pushInstance?: string;
  /** Deadline for the push, in ms. */
  pushTimeout: number;
}

/** Adds the report options. */
export function withReportOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-o, --output <format>', 'report format').choices(REPORT_FORMATS).default('table'))
    .addOption(
      new Option('--fail-on <severity>', 'exit 79 when anything is at or above this severity').choices(['error', 'warning', 'info', 'none']).default('error'),
    )
    .option('--all', 'the table lists the findings that back no root cause too (as -o wide)')
    .option('--color', 'force colour')
    .option('--no-color', 'never colour (NO_COLOR is honoured too)')
    .option('--metrics-file <path>', "also write findings and root causes as Prometheus metrics to this file (node-exporter's textfile collector), atomically")
    .option('--push <url>', 'also push those metrics to this Prometheus Pushgateway (job envoy_doctor)')
    .option('--push-instance <name>', 'with --push: the instance grouping label (e.g. the cluster name), so pushes of many clusters do not replace each other')
    .addOption(new Option('--push-timeout <duration>', 'with --push: deadline for the push').argParser(positiveDurationArg).default(10_000, '10s'))
    .hook('preAction', (command) => {
      // Checked before any proxy is read, and without echoing the URL: it may carry credentials.
      const o = command.opts<Partial<ReportOptions>>();
      requireParent(command, ['pushInstance', 'pushTimeout'], 'push', '--push URL');
      if (o.push !== undefined) pushUrl(o.push, o.pushInstance);
    });
}

/** The long flag of an option, from its attribute name: `pushTimeout` → `--push-timeout`. */
function flagOf(attribute: string): string {
  return `--${attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A usage error when one of `children` was typed without the option it belongs to (`--push-timeout` without `--push`). */
export function requireParent(command: Command, children: string[], parent: string, parentUsage: string): void {
  if (command.getOptionValue(parent) !== undefined) return;
  const given = children.find((c) => command.getOptionValueSource(c) === 'cli');
  if (given !== undefined) throw new UsageError(`${flagOf(given)} only applies with ${flagOf(parent)}: add ${parentUsage}, or leave ${flagOf(given)} out`);
}

/** Options for reaching live proxies. */
export interface LiveCliOptions {
  admin?: string[];
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  adminPort?: number;
  interval: number;
  concurrency: number;
  timeout: number;
  retries: number;
  since: number;
  logs: boolean;
  /** With one --admin: that proxy's access log file, read as its logs. */
  accessLog?: string;
  objects: boolean;
}

/** Adds the options for reaching live proxies. */
export function withLiveOptions(cmd: Command): Command {
  return cmd
    .argument('[targets...]', 'pod/NAME[.NAMESPACE] or deployment/NAME[.NAMESPACE]; default: discover Envoy Gateway proxies and Istio sidecars')
    .option('--admin <url>', 'an Envoy admin URL to read directly (repeatable), e.g. http://127.0.0.1:9901', repeatable)
    .option('--kubeconfig <file>', 'kubeconfig to use (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'namespace to look in (default: envoy-gateway-system)')
    .option('-A, --all-namespaces', 'look in every namespace')
    .option('-l, --selector <selector>', 'label selector for the proxy pods')
    .option('--admin-port <port>', 'admin port in the pods (default: 19000 for Envoy Gateway, 15000 for Istio)', portArg)
    .addOption(new Option('--interval <duration>', 'time between the two /stats samples; 0 takes one').argParser(durationArg).default(30_000, '30s'))
    .option('--concurrency <n>', 'proxies collected at once', countArg, 8)
    .addOption(new Option('--timeout <duration>', 'deadline for each read from a proxy').argParser(positiveDurationArg).default(15_000, '15s'))
    .option('--retries <n>', 'extra attempts for a read that failed in a way that may pass', retriesArg, 2)
    .addOption(new Option('--since <duration>', "how far back to read the proxies' access logs").argParser(durationArg).default(3_600_000, '1h'))
    .option('--no-logs', "do not read the proxies' logs")
    .option('--access-log <file>', "with one --admin: that proxy's access log (Envoy's text format, Istio's, or Envoy Gateway's JSON), read as its logs")
    .option('--no-objects', "do not read the Envoy Gateway objects or Istio's VirtualServices");
}
