// The bootstrap's `overload_manager` (api/envoy/config/overload/v3/overload.proto; the monitors' configs in
// api/envoy/extensions/resource_monitors/{fixed_heap,cgroup_memory,downstream_connections}/v3) and the runtime key
// `overload.global_downstream_max_connections` of its static runtime layers (api/envoy/config/bootstrap/v3/
// bootstrap.proto LayeredRuntime; a static layer's nested structs name keys by their dotted path), snake_case as
// Envoy's admin prints them or camelCase as egctl does.

import { OVERLOAD, type OverloadAction, type OverloadManager, type OverloadTrigger, type ResourceMonitor, type ScaledTimer } from '../model/overload-config.ts';
import { protoDurationMs } from './durations.ts';
import { arr, field, isObj, num, obj, type Obj, str } from './proto-json.ts';

function trigger(o: unknown): OverloadTrigger | undefined {
  const monitor = str(o, 'name');
  if (monitor === undefined) return undefined;
  const out: OverloadTrigger = { monitor };
  const threshold = num(o, 'threshold', 'value');
  if (obj(o, 'threshold')) out.threshold = threshold ?? 0;
  const scaled = obj(o, 'scaled');
  if (scaled) {
    out.scaling = num(scaled, 'scaling_threshold') ?? 0;
    out.saturation = num(scaled, 'saturation_threshold') ?? 0;
  }
  return out;
}

function triggers(o: unknown): OverloadTrigger[] {
  return arr(o, 'triggers').flatMap((t) => trigger(t) ?? []);
}

function monitor(o: unknown): ResourceMonitor | undefined {
  const name = str(o, 'name');
  if (name === undefined) return undefined;
  const config = obj(o, 'typed_config');
  const out: ResourceMonitor = { name };
  const heap = num(config, 'max_heap_size_bytes');
  if (heap !== undefined) out.maxHeapBytes = heap;
  const memory = num(config, 'max_memory_bytes');
  if (memory !== undefined) out.maxMemoryBytes = memory;
  const connections = num(config, 'max_active_downstream_connections');
  if (connections !== undefined) out.maxConnections = connections;
  return out;
}

function scaledTimer(o: unknown): ScaledTimer | undefined {
  const timer = field(o, 'timer');
  // The enum prints by name; a number is its value (HTTP_DOWNSTREAM_STREAM_IDLE = 2).
  const name = typeof timer === 'string' ? timer : timer === 2 ? OVERLOAD.streamIdleTimer : undefined;
  if (name === undefined) return undefined;
  const out: ScaledTimer = { timer: name, triggers: triggers(o) };
  const min = protoDurationMs(field(o, 'min_timeout'));
  if (min !== undefined) out.minTimeoutMs = min;
  const scale = num(o, 'min_scale', 'value');
  if (scale !== undefined) out.minScalePercent = scale;
  return out;
}

function action(o: unknown): OverloadAction | undefined {
  const name = str(o, 'name');
  if (name === undefined) return undefined;
  const config = obj(o, 'typed_config');
  return { name, triggers: triggers(o), scaledTimers: arr(config, 'timer_scale_factors').flatMap((t) => scaledTimer(t) ?? []) };
}

/** The runtime key in a static layer: at its dotted name, or as nested structs (`overload: {global_downstream_max_connections: N}`). */
function runtimeLimit(layer: Obj): number | undefined {
  const flat = num(layer, OVERLOAD.runtimeConnectionLimit);
  if (flat !== undefined) return flat;
  const nested = layer.overload;
  return isObj(nested) ? num(nested, 'global_downstream_max_connections') : undefined;
}

/** The bootstrap's overload manager and connection limit; empty lists when it configures none. */
export function parseOverloadManager(bootstrap: Obj): OverloadManager {
  const om = obj(bootstrap, 'overload_manager');
  const out: OverloadManager = {
    monitors: arr(om, 'resource_monitors').flatMap((m) => monitor(m) ?? []),
    actions: arr(om, 'actions').flatMap((a) => action(a) ?? []),
    loadShedPoints: arr(om, 'loadshed_points').flatMap((a) => action(a) ?? []),
  };
  // The last static layer that sets the key wins, as later layers override earlier ones.
  for (const layer of arr(bootstrap, 'layered_runtime', 'layers')) {
    const staticLayer = obj(layer, 'static_layer');
    const limit = staticLayer ? runtimeLimit(staticLayer) : undefined;
    if (limit !== undefined) out.runtimeConnectionLimit = limit;
  }
  return out;
}
