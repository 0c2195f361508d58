// The floor's charts as ECharts options, from a snapshot.

import type { FloorView } from './types'

type T = (key: string) => string

const STATE_COLORS: Record<string, string> = {
  ready: '#67c23a', reserved: '#e6a23c', talking: '#409eff', hold: '#9b59b6',
  after_call_work: '#f0c040', not_ready: '#f56c6c', offline: '#c0c4cc',
}

/** `big` is the wallboard: large type, light on dark. */
export function serviceLevelOption(view: FloorView, t: T, big = false) {
  const font = big ? 22 : 12
  const color = big ? '#c8d3df' : '#606266'
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 24, bottom: big ? 64 : 44 },
    // Every queue's name shown, wrapped within its bar's width rather than dropped.
    xAxis: {
      type: 'category', data: view.queues.map((q) => q.name),
      axisLabel: { fontSize: font, color, interval: 0, overflow: 'break', width: Math.max(48, (big ? 1000 : 220) / Math.max(1, view.queues.length)) },
    },
    yAxis: {
      type: 'value', max: 100, axisLabel: { formatter: '{value}%', fontSize: font, color },
      splitLine: { lineStyle: { color: big ? '#2a3d52' : '#e4e7ed' } },
    },
    series: [
      {
        name: t('floor.sl'),
        type: 'bar',
        barMaxWidth: 60,
        label: {
          show: true, position: 'top', fontSize: font, color: big ? '#fff' : '#303133', textBorderWidth: 0,
          formatter: (p: { value: number | null }) => (p.value == null ? '—' : `${p.value}%`),
        },
        data: view.queues.map((q) => ({
          value: q.service_level == null ? null : Math.round(q.service_level * 1000) / 10,
          itemStyle: {
            color: q.service_level == null ? '#c0c4cc' : q.service_level >= q.service_level_goal ? '#67c23a' : '#f56c6c',
          },
        })),
        markLine: {
          symbol: 'none',
          lineStyle: { type: 'dashed', color: '#e6a23c' },
          label: { formatter: t('floor.goal') + ' {c}%', fontSize: font, color: '#e6a23c', position: 'insideEndTop', textBorderWidth: 0 },
          data: view.queues.length ? [{ yAxis: Math.round((view.queues[0].service_level_goal ?? 0.8) * 100) }] : [],
        },
      },
    ],
  }
}

export function statesOption(view: FloorView, t: T, big = false) {
  const counts = new Map<string, number>()
  for (const a of view.agents) counts.set(a.state, (counts.get(a.state) ?? 0) + 1)
  return {
    tooltip: { trigger: 'item' },
    legend: { bottom: 0, textStyle: { fontSize: big ? 20 : 12, color: big ? '#c8d3df' : '#606266' } },
    series: [
      {
        name: t('floor.byState'),
        type: 'pie',
        radius: ['40%', '70%'],
        label: { formatter: '{b}: {c}', fontSize: big ? 20 : 12, color: big ? '#e8eef5' : '#303133', textBorderWidth: 0 },
        data: [...counts.entries()].map(([s, n]) => ({
          name: t('state.' + s),
          value: n,
          itemStyle: { color: STATE_COLORS[s] ?? '#909399' },
        })),
      },
    ],
  }
}
