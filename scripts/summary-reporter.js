// Prints the plain closing line CI and people read: "tests: N passed, N failed, N skipped".
function count(tasks, totals) {
  for (const task of tasks) {
    if (task.type === 'suite' || task.tasks) {
      count(task.tasks ?? [], totals);
      // A file that failed to load has no tests but must still count as a failure.
      if (task.type === 'suite' && task.filepath && (task.tasks ?? []).length === 0 && task.result?.state === 'fail') totals.failed++;
      continue;
    }
    const state = task.result?.state;
    if (task.mode === 'skip' || task.mode === 'todo' || state === 'skip') totals.skipped++;
    else if (state === 'pass') totals.passed++;
    else totals.failed++;
  }
}

export default class SummaryReporter {
  onFinished(files = [], errors = []) {
    const totals = { passed: 0, failed: 0, skipped: 0 };
    count(files, totals);
    if (errors.length > 0) totals.failed += errors.length;
    const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : '';
    process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed${skipped}\n`);
  }
}
