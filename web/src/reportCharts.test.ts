// @vitest-environment node
// (ECharts draws to SVG here, without a canvas.)
import { describe, expect, it } from 'vitest'
import { HUNG_UP, WENT_ON, buildFunnel, heatmapOption, sankeyOption, splitEdge, weekGrid } from './reportCharts'

const line = (key: string, values: (number | null)[], period_ms = 0) => ({ key, period_ms, values })

/** main → menu (key 1 → repair queue, key 2 → billing info, 9 → main again). */
const nodes = {
  metrics: ['ivr_visits', 'ivr_ended', 'ivr_passed'],
  totals: [
    line('main', [100, 5, 0]),
    line('menu', [120, 30, 60]),
    line('info', [30, 24, 6]),
  ],
}
const edges = {
  metrics: ['ivr_visits'],
  totals: [
    line('main>menu', [95]),
    line('menu>info', [30]),
    line('menu>main', [20]), // heard the menu again: a step back
    line('menu>menu', [5]), // a wrong key: the menu again
    line('broken', [3]),
  ],
}

describe('the IVR funnel', () => {
  it('splits steps into their nodes', () => {
    expect(splitEdge('main>menu')).toEqual(['main', 'menu'])
    expect(splitEdge('a>b>c')).toEqual(['a', 'b>c'])
    expect(splitEdge('main')).toBeNull()
    expect(splitEdge('>x')).toBeNull()
  })

  it('lists the nodes with the most hang-ups first, with their share of visits', () => {
    const f = buildFunnel(nodes, edges)
    expect(f.nodes.map((n) => [n.key, n.visits, n.ended, n.passed])).toEqual([
      ['menu', 120, 30, 60],
      ['info', 30, 24, 6],
      ['main', 100, 5, 0],
    ])
    expect(f.nodes[1].endedShare).toBeCloseTo(0.8)
  })

  it('draws the steps forward and sets apart the steps back, so the sankey has no loop', () => {
    const f = buildFunnel(nodes, edges)
    expect(f.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(['main>menu', 'menu>info'])
    expect(f.loops.map((e) => `${e.from}>${e.to}:${e.count}`).sort()).toEqual(['menu>main:20', 'menu>menu:5'])
  })

  it('has no count of callers gone on when the server does not give it', () => {
    const f = buildFunnel({ metrics: ['ivr_visits', 'ivr_ended'], totals: [line('main', [10, 2])] }, { metrics: ['ivr_visits'], totals: [] })
    expect(f.nodes[0].passed).toBeNull()
    const option = sankeyOption(f, { node: (k) => k, count: String }) as { series: { links: { target: string }[] }[] }
    expect(option.series[0].links.map((l) => l.target)).toEqual([HUNG_UP])
  })

  it('makes a sankey of the steps and each node\'s way out', () => {
    const f = buildFunnel(nodes, edges)
    const option = sankeyOption(f, { node: (k) => (k === HUNG_UP ? '挂机' : k === WENT_ON ? '离开' : k), count: String }) as {
      animation: boolean
      series: { type: string; data: { name: string }[]; links: { source: string; target: string; value: number }[]; label: { formatter: (p: { name: string }) => string } }[]
    }
    const s = option.series[0]
    expect(option.animation).toBe(false)
    expect(s.type).toBe('sankey')
    expect(s.links).toContainEqual({ source: 'main', target: 'menu', value: 95 })
    expect(s.links).toContainEqual({ source: 'menu', target: HUNG_UP, value: 30 })
    expect(s.links).toContainEqual({ source: 'info', target: WENT_ON, value: 6 })
    expect(s.links.some((l) => l.source === 'main' && l.target === WENT_ON)).toBe(false) // none went on from main
    expect(s.data.map((d) => d.name).sort()).toEqual([HUNG_UP, WENT_ON, 'info', 'main', 'menu'].sort())
    expect(s.label.formatter({ name: HUNG_UP })).toBe('挂机')
    expect(sankeyOption(buildFunnel({ metrics: [], totals: [] }, { metrics: [], totals: [] }), { node: String, count: String })).toBeNull()
  })
})

describe('the week\'s shape', () => {
  // Monday 2026-11-30 00:00 in Shanghai is Sunday 16:00 UTC.
  const mondayMidnightShanghai = Date.UTC(2026, 10, 29, 16, 0)
  const half = 30 * 60_000
  const body = {
    metrics: ['offered'],
    rows: [
      line('', [4], mondayMidnightShanghai), // Mon 00:00 Shanghai, Sun 16:00 UTC
      line('', [6], mondayMidnightShanghai + 19 * half), // Mon 09:30 Shanghai
      line('', [1], mondayMidnightShanghai + 7 * 48 * half + 19 * half), // the next Monday 09:30
      line('', [null], mondayMidnightShanghai + half),
    ],
  }

  it('adds up the half hours by weekday and time of day in the tenant\'s zone', () => {
    const g = weekGrid(body, 'offered', 'Asia/Shanghai')
    expect(g.length).toBe(7)
    expect(g[0].length).toBe(48)
    expect(g[0][0]).toBe(4)
    expect(g[0][19]).toBe(7)
    expect(g.flat().reduce((a, b) => a + b, 0)).toBe(11)
  })

  it('puts them elsewhere in another zone', () => {
    const g = weekGrid(body, 'offered', 'UTC')
    expect(g[6][32]).toBe(4) // Sunday 16:00
    expect(g[0][3]).toBe(7) // Monday 01:30
  })

  it('draws them as a heatmap, Monday on top', () => {
    const g = weekGrid(body, 'offered', 'Asia/Shanghai')
    const o = heatmapOption(g, ['一', '二', '三', '四', '五', '六', '日'], '进线量') as {
      animation: boolean; xAxis: { data: string[] }; yAxis: { data: string[]; inverse: boolean }; visualMap: { max: number }; series: { type: string; data: number[][] }[]
    }
    expect(o.animation).toBe(false)
    expect(o.xAxis.data[19]).toBe('09:30')
    expect(o.yAxis.data[0]).toBe('一')
    expect(o.visualMap.max).toBe(7)
    expect(o.series[0].type).toBe('heatmap')
    expect(o.series[0].data).toContainEqual([19, 0, 7])
    expect(o.series[0].data.length).toBe(7 * 48)
  })
})

describe('the charts as ECharts draws them', () => {
  it('draw the funnel (steps back set apart) and the week without an error', async () => {
    const echarts = await import('echarts/core')
    const { HeatmapChart, SankeyChart } = await import('echarts/charts')
    const { GridComponent, TooltipComponent, VisualMapComponent } = await import('echarts/components')
    const { SVGRenderer } = await import('echarts/renderers')
    echarts.use([HeatmapChart, SankeyChart, GridComponent, TooltipComponent, VisualMapComponent, SVGRenderer])
    const draw = (option: Record<string, unknown>) => {
      const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 700, height: 300 })
      chart.setOption(option)
      const svg = chart.renderToSVGString()
      chart.dispose()
      return svg
    }
    const funnel = sankeyOption(buildFunnel(nodes, edges), { node: (k) => (k === HUNG_UP ? '挂机' : k === WENT_ON ? '离开' : k), count: String })!
    expect(draw(funnel)).toContain('挂机')
    const week = heatmapOption(weekGrid({ metrics: ['offered'], rows: [line('', [3], Date.UTC(2026, 10, 30, 1))] }, 'offered', 'UTC'), ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], 'Offered')
    expect(draw(week)).toContain('Mon')
  })
})
