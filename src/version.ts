// One place for the version string (kept in step with package.json by the release process).
export const brambleVersion = '0.1.0';
