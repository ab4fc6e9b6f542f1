// A small Grafana dashboard builder for this mixin (schemaVersion 39).
// grafonnet would be the usual choice; jsonnet-bundler cannot fetch it
// here, and the few panel kinds these dashboards use fit in this file.
{
  local ds = { type: 'prometheus', uid: '${datasource}' },

  // target is one PromQL query of a panel.
  target(expr, legend='', instant=false, format='time_series'):: {
    datasource: ds,
    expr: expr,
    legendFormat: legend,
    instant: instant,
    range: !instant,
    format: format,
  },

  local panel(type, title, description, unit, targets, w, h) = {
    type: type,
    title: title,
    description: description,
    datasource: ds,
    targets: [t { refId: std.char(std.codepoint('A') + i) } for i in std.range(0, std.length(targets) - 1) for t in [targets[i]]],
    fieldConfig: { defaults: { unit: unit }, overrides: [] },
    gridPos: { w: w, h: h },
  },

  timeseries(title, description, unit, targets, stack=false, w=12, h=8, min=null, max=null)::
    panel('timeseries', title, description, unit, targets, w, h) {
      fieldConfig+: {
        defaults+: {
          [if min != null then 'min']: min,
          [if max != null then 'max']: max,
          custom: {
            drawStyle: 'line',
            lineWidth: 1,
            fillOpacity: if stack then 40 else 10,
            stacking: { mode: if stack then 'normal' else 'none', group: 'A' },
            showPoints: 'never',
          },
        },
      },
      options: {
        legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
    },

  // stat shows one number per series; thresholds are [value, color] pairs
  // above a base color.
  stat(title, description, unit, targets, base='green', thresholds=[], mappings=[], w=6, h=4, decimals=null)::
    panel('stat', title, description, unit, targets, w, h) {
      fieldConfig+: {
        defaults+: {
          [if decimals != null then 'decimals']: decimals,
          thresholds: {
            mode: 'absolute',
            steps: [{ color: base, value: null }] + [{ value: t[0], color: t[1] } for t in thresholds],
          },
          mappings: mappings,
          color: { mode: 'thresholds' },
        },
      },
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'background',
        graphMode: 'none',
        textMode: 'auto',
        orientation: 'auto',
      },
    },

  // stateTimeline draws 0/1 (or small enums) over time with value mappings.
  stateTimeline(title, description, unit, targets, mappings, w=24, h=8)::
    panel('state-timeline', title, description, unit, targets, w, h) {
      fieldConfig+: {
        defaults+: {
          mappings: mappings,
          color: { mode: 'thresholds' },
          thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] },
          custom: { fillOpacity: 80, lineWidth: 0 },
        },
      },
      options: {
        showValue: 'never',
        mergeValues: true,
        rowHeight: 0.9,
        legend: { showLegend: false },
        tooltip: { mode: 'single' },
      },
    },

  bargauge(title, description, unit, targets, base='green', thresholds=[], w=12, h=8)::
    panel('bargauge', title, description, unit, targets, w, h) {
      fieldConfig+: {
        defaults+: {
          thresholds: {
            mode: 'absolute',
            steps: [{ color: base, value: null }] + [{ value: t[0], color: t[1] } for t in thresholds],
          },
          color: { mode: 'thresholds' },
        },
      },
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        orientation: 'horizontal',
        displayMode: 'basic',
        showUnfilled: true,
      },
    },

  // dataLinks adds links to a panel's values (Grafana's ${__field.labels.X}
  // names a series' label): + d.dataLinks([...]).
  dataLinks(links):: {
    fieldConfig+: { defaults+: { links: [{ targetBlank: true } + l for l in links] } },
  },

  // repeat makes one copy of a panel for each value of a variable.
  repeat(variable, maxPerRow=4):: {
    repeat: variable,
    repeatDirection: 'h',
    maxPerRow: maxPerRow,
  },

  // A link to the other dashboards of the mixin (by tag).
  dashboardLinks(tags):: [{
    title: 'Django dashboards',
    type: 'dashboards',
    tags: tags,
    asDropdown: false,
    includeVars: false,
    keepTime: true,
    targetBlank: false,
  }],

  row(title):: {
    type: 'row',
    title: title,
    collapsed: false,
    panels: [],
    gridPos: { w: 24, h: 1 },
  },

  // Value mappings for 0/1 series.
  upDown(up='up', down='down'):: [{
    type: 'value',
    options: {
      '0': { text: down, color: 'red', index: 0 },
      '1': { text: up, color: 'green', index: 1 },
    },
  }],

  datasourceVariable:: {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
    refresh: 1,
    regex: '',
  },

  queryVariable(name, label, query, includeAll=true, multi=true):: {
    name: name,
    label: label,
    type: 'query',
    datasource: ds,
    query: { query: query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    definition: query,
    refresh: 2,
    includeAll: includeAll,
    multi: multi,
    allValue: '.+',
    current: {},
    sort: 1,
    hide: 0,
    regex: '',
  },

  // exporterVariable is a hidden variable holding one exporter's
  // address, for links to it: the first value of query.
  exporterVariable(query):: $.queryVariable('exporter', 'Exporter address', query, includeAll=false, multi=false) { hide: 2 },

  // layout places panels left to right in rows of 24 columns, in order,
  // and gives each an id.
  layout(panels)::
    local step(acc, p) =
      local w = p.gridPos.w;
      local wrap = acc.x + w > 24 || p.type == 'row';
      local x = if wrap then 0 else acc.x;
      local y = if wrap then acc.y + acc.rowH else acc.y;
      local placed = p { id: acc.id, gridPos+: { x: x, y: y } };
      {
        id: acc.id + 1,
        x: x + w,
        y: y,
        rowH: if wrap then p.gridPos.h else std.max(acc.rowH, p.gridPos.h),
        out: acc.out + [placed],
      };
    std.foldl(step, panels, { id: 1, x: 0, y: 0, rowH: 0, out: [] }).out,

  dashboard(title, uid, description, tags, variables, panels, timezone='utc', refresh='1m', links=[]):: {
    title: title,
    uid: uid,
    description: description,
    tags: tags,
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    timezone: timezone,
    refresh: refresh,
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    annotations: { list: [] },
    links: links,
    templating: { list: [$.datasourceVariable] + variables },
    panels: $.layout(panels),
  },
}
