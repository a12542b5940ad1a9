// Column alignment like kubectl's tabwriter: left-aligned, three spaces between columns, no trailing padding.

export function columnWidths(rows: readonly (readonly string[])[], start: readonly number[] = []): number[] {
  const widths = [...start];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return widths;
}

export function renderRow(row: readonly string[], widths: readonly number[]): string {
  return row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd();
}

export function renderTable(rows: readonly (readonly string[])[]): string[] {
  const widths = columnWidths(rows);
  return rows.map((row) => renderRow(row, widths));
}
