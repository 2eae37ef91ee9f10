extension Dashboard {
    /// The page's only stylesheet, inline. Every state has a text label beside its colour, and the
    /// colours keep a contrast of at least 4.5:1 against their backgrounds.
    static let style = #"""
    :root { --ok: #176b2c; --ok-bg: #e3f4e7; --warn: #7a4f00; --warn-bg: #fff1d6; --bad: #a31515; --bad-bg: #fde4e4;
            --info: #1f4f99; --info-bg: #e4edfb; --none: #4d5562; --none-bg: #eef0f3; --line: #d5d9e0; --fg: #1d2430; }
    * { box-sizing: border-box; }
    [hidden] { display: none !important; }
    caption { text-align: left; padding: .2rem 0; }
    body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: var(--fg); background: #fff; }
    header { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: baseline; padding: .8rem 1.2rem; border-bottom: 1px solid var(--line); }
    h1 { font-size: 1.3rem; margin: 0; }
    h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
    main { padding: 0 1.2rem 2rem; max-width: 1600px; }
    #summary { color: #4d5562; }
    .skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .3rem; z-index: 2; }
    form.inline { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin: .4rem 0; }
    input, select, button { font: inherit; }
    input, select { padding: .25rem .4rem; border: 1px solid #8a93a3; border-radius: 4px; }
    button { padding: .25rem .7rem; border: 1px solid #4d5562; border-radius: 4px; background: #f3f5f8; cursor: pointer; color: var(--fg); }
    button:hover { background: #e6e9ee; }
    :focus-visible { outline: 3px solid #1f6feb; outline-offset: 2px; }
    .scroll { overflow-x: auto; max-width: 100%; }
    table { border-collapse: collapse; }
    th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
    thead th { background: #f3f5f8; position: sticky; top: 0; }
    tbody th { font-weight: 600; }
    small, .muted { color: #4d5562; }
    .s-ok { color: var(--ok); background: var(--ok-bg); } .s-warn { color: var(--warn); background: var(--warn-bg); }
    .s-bad { color: var(--bad); background: var(--bad-bg); } .s-info { color: var(--info); background: var(--info-bg); }
    .s-none { color: var(--none); background: var(--none-bg); }
    .badge { display: inline-block; padding: 0 .35rem; border-radius: 3px; font-size: .85em; white-space: nowrap; }
    #progress { margin: .8rem 0; padding: .6rem .8rem; border: 1px solid #9db7e6; border-radius: 6px; background: var(--info-bg); }
    #progress[hidden] { display: none; }
    #progress ul { margin: .3rem 0 0; padding-left: 1.2rem; }
    #alerts:empty { display: none; }
    #alerts { margin: .8rem 0; padding: .5rem .8rem; border-radius: 6px; color: var(--bad); background: var(--bad-bg); font-weight: 600; }
    #matrix td { padding: 0; min-width: 9rem; }
    #matrix td.empty { padding: .3rem .5rem; color: #4d5562; }
    .cell { display: block; width: 100%; text-align: left; border: 0; border-left: 6px solid currentColor; border-radius: 0; padding: .35rem .5rem; }
    .cell[aria-pressed="true"] { box-shadow: inset 0 0 0 3px #1f6feb; }
    .cell strong { display: block; }
    #filter-note { margin: .3rem 0; }
    #jobs td.clusters ul { list-style: none; margin: 0; padding: 0; }
    #jobs td.clusters li { white-space: nowrap; }
    .warn-age { color: var(--bad); font-weight: 600; }
    #timeline-chart { overflow-x: auto; }
    #timeline svg { display: block; width: 100%; min-width: 640px; max-width: 1100px; height: auto; }
    #timeline .lane-label, #timeline .axis { font-size: 11px; fill: #4d5562; }
    #timeline .round-title { font-size: 12px; font-weight: 600; fill: var(--fg); }
    #timeline .bar-label { font-size: 11px; fill: #111; pointer-events: none; }
    #timeline rect.bar.st-ok { fill: #8fd19e; stroke: var(--ok); }
    #timeline rect.bar.st-bad { fill: #f4a3a3; stroke: var(--bad); stroke-width: 2; }
    #timeline rect.bar.st-warn { fill: #ffd27a; stroke: var(--warn); }
    #timeline rect.bar.st-none { fill: #d5d9e0; stroke: var(--none); }
    #timeline rect.lane { fill: #f7f8fa; }
    #timeline a:focus-visible rect.bar { stroke: #1f6feb; stroke-width: 3; }
    #diff table td:nth-child(2), #diff table td:nth-child(3) { font-family: ui-monospace, monospace; word-break: break-all; }
    #history-filters label, #actions label { display: inline-flex; gap: .3rem; align-items: center; }
    dialog { border: 1px solid #4d5562; border-radius: 8px; max-width: 30rem; }
    dialog::backdrop { background: rgba(0,0,0,.35); }
    #action-result:empty { display: none; }
    .more { margin: .5rem 0; }
    @media (max-width: 700px) {
      header, main { padding-left: .6rem; padding-right: .6rem; }
      #jobs thead th.optional, #jobs td.optional { display: none; }
      #matrix td { min-width: 7rem; }
    }
    """#
}
