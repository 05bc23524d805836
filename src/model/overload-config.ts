// The bootstrap's overload manager (api/envoy/config/overload/v3/overload.proto OverloadManager: resource monitors,
// actions with their triggers, load shed points; ScaleTimersOverloadActionConfig for `reduce_timeouts`), and the
// deprecated runtime key `overload.global_downstream_max_connections` (source/common/network/tcp_listener_impl.cc
// GlobalMaxCxRuntimeKey), as far as a config dump shows them. Names of the monitors and actions Envoy ships:
// docs/root/configuration/operations/overload_manager/overload_manager.rst.

/** Resource monitors, actions and load shed points by their well-known names. */
export const OVERLOAD = {
  fixedHeap: 'envoy.resource_monitors.fixed_heap',
  cgroupMemory: 'envoy.resource_monitors.cgroup_memory',
  globalConnections: 'envoy.resource_monitors.global_downstream_max_connections',
  stopAcceptingRequests: 'envoy.overload_actions.stop_accepting_requests',
  reduceTimeouts: 'envoy.overload_actions.reduce_timeouts',
  /** ScaleTimersOverloadActionConfig.TimerType of the stream idle timer (stream_idle_timeout, a route's idle_timeout). */
  streamIdleTimer: 'HTTP_DOWNSTREAM_STREAM_IDLE',
  /** The runtime key that limits downstream connections when no connections monitor is configured. */
  runtimeConnectionLimit: 'overload.global_downstream_max_connections',
} as const;

/** A trigger: the monitor it reads, and the pressure (0..1) at which it acts. */
export interface OverloadTrigger {
  monitor: string;
  /** ThresholdTrigger `value`: saturated at or above it. */
  threshold?: number;
  /** ScaledTrigger: scaling above `scaling`, saturated above `saturation`. */
  scaling?: number;
  saturation?: number;
}

/** A resource monitor and the maximum its pressure is measured against. */
export interface ResourceMonitor {
  name: string;
  /** fixed_heap `max_heap_size_bytes`. */
  maxHeapBytes?: number;
  /** cgroup_memory `max_memory_bytes` (an upper bound on the cgroup's limit). */
  maxMemoryBytes?: number;
  /** global_downstream_max_connections `max_active_downstream_connections`. */
  maxConnections?: number;
}

/** One timer `reduce_timeouts` scales, and its floor. */
export interface ScaledTimer {
  /** TimerType name (`HTTP_DOWNSTREAM_STREAM_IDLE`). */
  timer: string;
  /** `min_timeout`, in ms. */
  minTimeoutMs?: number;
  /** `min_scale`, as a percent of the configured timeout. */
  minScalePercent?: number;
  /** Per-timer triggers, which then drive this timer instead of the action's. */
  triggers: OverloadTrigger[];
}

/** An overload action or a load shed point. */
export interface OverloadAction {
  name: string;
  triggers: OverloadTrigger[];
  /** `reduce_timeouts`: the timers it scales. */
  scaledTimers: ScaledTimer[];
}

/** The overload manager of one proxy. */
export interface OverloadManager {
  monitors: ResourceMonitor[];
  actions: OverloadAction[];
  loadShedPoints: OverloadAction[];
  /** `overload.global_downstream_max_connections` in a static runtime layer of the bootstrap. */
  runtimeConnectionLimit?: number;
}

/** The lowest pressure (0..1) at which a trigger starts to act. */
export function triggerStart(t: OverloadTrigger): number | undefined {
  return t.threshold ?? t.scaling;
}

/** Every action and load shed point with a trigger on `monitor`, and that trigger. */
export function triggeredBy(om: OverloadManager, monitor: string): Array<{ action: OverloadAction; trigger: OverloadTrigger }> {
  const out: Array<{ action: OverloadAction; trigger: OverloadTrigger }> = [];
  for (const action of [...om.actions, ...om.loadShedPoints]) {
    const triggers = [...action.triggers, ...action.scaledTimers.flatMap((t) => t.triggers)];
    const trigger = triggers.find((t) => t.monitor === monitor);
    if (trigger) out.push({ action, trigger });
  }
  return out;
}

/** The global downstream connection limit and where it is set: the resource monitor wins over the runtime key. */
export function connectionLimit(om: OverloadManager | undefined): { limit: number; source: 'resource monitor' | 'runtime key' } | undefined {
  const monitor = om?.monitors.find((m) => m.name === OVERLOAD.globalConnections)?.maxConnections;
  if (monitor !== undefined) return { limit: monitor, source: 'resource monitor' };
  if (om?.runtimeConnectionLimit !== undefined) return { limit: om.runtimeConnectionLimit, source: 'runtime key' };
  return undefined;
}

/** An action's short name, as people say it (`stop_accepting_requests`). */
export function shortName(name: string): string {
  return name.replace(/^envoy\.(overload_actions|load_shed_points|resource_monitors)\./, '');
}
