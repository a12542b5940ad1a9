// Finalizers through which the garbage collector carries out deletion policies: the API server
// adds them on DELETE with propagationPolicy Orphan or Foreground, the collector removes them.
export const orphanFinalizer = 'orphan';
export const foregroundFinalizer = 'foregroundDeletion';
