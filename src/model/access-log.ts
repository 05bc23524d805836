// Access log entries, whatever format Envoy wrote them in: Envoy Gateway's JSON or Envoy's default text
// format (docs/root/configuration/observability/access_log/usage.rst). An upgraded request (101) logs one line
// when it closes, with `duration` the whole session.

/** One access log line. Absent values (`-`, null) are undefined. */
export interface AccessLogEntry {
  startTime?: Date;
  method?: string;
  path?: string;
  protocol?: string;
  responseCode?: number;
  /** Response flags (`UC`, `DC`, `DT`, `SI`, ...); empty when the log says `-`. */
  responseFlags: string[];
  responseCodeDetails?: string;
  connectionTerminationDetails?: string;
  bytesReceived?: number;
  bytesSent?: number;
  durationMs?: number;
  userAgent?: string;
  upstreamHost?: string;
  upstreamCluster?: string;
  routeName?: string;
  /** The response's Content-Type (`%RESP(CONTENT-TYPE)%`), when a JSON format logs it under `content-type` or `content_type`. */
  contentType?: string;
}

/** The access log read for one proxy. */
export interface AccessLog {
  /** Where it came from: a file name, or `pod <ns>/<name> container <c>`. */
  source: string;
  entries: AccessLogEntry[];
  /** Lines that were not access log entries (other log output of the container). */
  skipped: number;
}
