// One line of a benchmark table (bench/run.ts prints them; every bench returns them).
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** Goal for the value, e.g. ">= 1000" or "<= 50". */
  target?: string;
  note?: string;
}
