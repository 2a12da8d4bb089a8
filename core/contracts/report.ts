import type { ExperimentStore } from './store.js';

/** A line of a report chart: one value per date (null: a gap). */
export interface ReportSeries {
  name: string;
  values: (number | null)[];
}

/**
 * What a plugin adds to a manager's report (`qonline report`, the
 * dashboard): plain data, drawn by the report. Percentages are fractions.
 */
export interface ReportSectionData {
  /** Stable id (HTML anchors, tests). */
  id: string;
  title: string;
  /** Headline figures. */
  cards: { label: string; value: number | null; format: 'pct' | 'number' }[];
  /** Line charts over dates (`bars`: drawn as bars; `format`: how values read out, default number). */
  charts: { title: string; dates: string[]; series: ReportSeries[]; zeroLine?: boolean; bars?: boolean; format?: 'pct' | 'number' }[];
  /** Tables: column names, then rows (numbers drawn with `format`). */
  tables: { title?: string; columns: string[]; rows: (string | number | null)[][]; format?: 'pct' | 'number' }[];
}

/**
 * A component of kind `reportSection`: reads, from the store alone, what it
 * adds to the report of `manager` (none when it has nothing to show).
 */
export interface ReportSection {
  read(store: ExperimentStore, manager: string): Promise<ReportSectionData[]>;
}
