// What a run was asked to do cannot be done as asked; maps to exit code 64, like a usage error.

/**
 * A request that cannot be carried out as given: options that conflict or are missing (`--stats-later` without
 * `--stats`), a value of the wrong form (a `--push` or `--state` that is no URL or path), or something named that is
 * not there (a `--pod`, a `--context`, any Envoy proxy). Thrown by the layers that do the work (collect, notify, report),
 * which know what they need but not the command line; the message names the option or target and what was expected.
 */
export class RequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestError';
  }
}
