// Grafana's own types for dashboards and panels, made to accept what a JSON file can hold.
//
// A dashboard JSON file spells enum members as their values ("palette-classic", "absolute"); TypeScript
// only accepts the enum's members. Loose<T> turns every string enum into the union of its values and
// keeps everything else, so the check is as strict as the schema but speaks JSON.
import type {
  Dashboard,
  FieldConfig,
  FieldConfigSource,
  Panel,
  RowPanel,
  TableFieldOptions,
} from '@grafana/schema';
import type * as bargauge from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type * as stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as table from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type * as timeseries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

export type Loose<T> = T extends string
  ? `${T}`
  : T extends readonly (infer U)[]
    ? Loose<U>[]
    : T extends object
      ? { [K in keyof T]: Loose<T[K]> }
      : T;

// Grafana fills in options a panel leaves out, so top-level options may be partial; what is given must
// match the panel plugin's own schema exactly (unknown keys are errors).
type PanelOf<Type extends string, Options, Custom> = Loose<Omit<Panel, 'type' | 'options' | 'fieldConfig'>> & {
  type: Type;
  options?: Loose<Partial<Options>>;
  fieldConfig?: {
    defaults: Loose<Omit<FieldConfig, 'custom'>> & { custom?: Loose<Partial<Custom>> };
    overrides: Loose<FieldConfigSource['overrides']>;
  };
};

export type CheckedPanel =
  | PanelOf<'timeseries', timeseries.Options, timeseries.FieldConfig>
  | PanelOf<'stat', stat.Options, Record<string, never>>
  | PanelOf<'bargauge', bargauge.Options, Record<string, never>>
  | PanelOf<'table', table.Options, TableFieldOptions>
  | Loose<Omit<RowPanel, 'panels'>> & { panels: CheckedPanel[] };

export type CheckedDashboard = Loose<Dashboard>;
