// Envoy's build version string, as /server_info (api/envoy/admin/v3/server_info.proto) and the legacy bootstrap
// `node.build_version` print it: `<sha>/<x.y.z>/<Clean|Modified>/<RELEASE|DEBUG>/<ssl>`.

/**
 * The release number in Envoy's build version string (`<sha>/<x.y.z>/<Clean|Modified>/<RELEASE|DEBUG>/<ssl>`), as
 * /server_info and the legacy bootstrap `node.build_version` print it; undefined when it has none.
 */
export function releaseOfBuildVersion(version: string): string | undefined {
  return /(?:^|\/)(\d+\.\d+\.\d+)(?:[-/]|$)/.exec(version)?.[1];
}
