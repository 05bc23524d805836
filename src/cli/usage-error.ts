// A command line that cannot be run as given; maps to exit code 64.

/** Bad flags: an option that needs another, a value of the wrong form, an unknown id or sink. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
