// Where the project's documentation lives on the web. Reports link the docs of the version that wrote them, so a
// link in Slack or in a shared HTML file works anywhere and says what that version meant.

/** The project's repository: the one place its URL is written. */
export const REPOSITORY_URL = 'https://github.com/envoy-doctor/envoy-doctor';

/** The base URL of the repository's files at the release tag of `version`, ending in `/`. */
export function docsBase(version: string): string {
  return `${REPOSITORY_URL}/blob/v${version}/`;
}

/** The absolute URL of a docs page (a path relative to the repository root) as of `version`. */
export function docsUrl(page: string, version: string): string {
  return `${docsBase(version)}${page}`;
}
