import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { i18n } from '../i18n'
import { period } from '../onTime'
import OnTimeReport from './OnTimeReport.vue'

const setup = {
  types: { repair: { name_zh: '报修', name_en: 'Repairs', callback_required: true } },
  groups: { xihu: { name: '西湖抢修队', kind: 'crew' as const, members: [] }, gs: { name: '拱墅抢修队', kind: 'crew' as const, members: [] } },
}

describe('the on-time rate (维修及时率)', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('asks for this month by crew, names the crews and puts the worst first, red below 90 %', async () => {
    const paths: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (path: string) => {
      paths.push(path)
      const rows = path.includes('by=group')
        ? [
            { key: 'xihu', resolved: 20, on_time: 19, without_limit: 0, rate: 0.95 },
            { key: 'gs', resolved: 10, on_time: 7, without_limit: 1, rate: 7 / 9 },
            { key: '', resolved: 2, on_time: 0, without_limit: 2, rate: null },
          ]
        : [{ key: 'repair', resolved: 30, on_time: 26, without_limit: 3, rate: 26 / 27 }]
      return new Response(JSON.stringify(rows), { status: 200 })
    }))
    const w = mount(OnTimeReport, { props: { setup }, global: { plugins: [i18n], stubs: { Chart: true } } })
    await flushPromises()
    const [from, to] = period('this_month', new Date())!
    expect(paths).toEqual([`/api/orders/on-time?by=group&from_ms=${from}&to_ms=${to}`])
    const rows = w.findAll('[data-test=on-time-table] .el-table__body tr').map((r) => r.findAll('td').map((d) => d.text()))
    expect(rows).toEqual([
      ['拱墅抢修队', '10', '7', '2', '1', '77.8%'],
      ['西湖抢修队', '20', '19', '1', '0', '95.0%'],
      ['未派单', '2', '0', '0', '2', '—'],
    ])
    expect(w.get('[data-test=on-time-rate-gs]').classes()).toContain('late')
    expect(w.get('[data-test=on-time-rate-xihu]').classes()).not.toContain('late')
    expect(w.find('[data-test=on-time-chart]').exists()).toBe(true)

    await w.get('[data-test=on-time-by] input[value=order_type]').setValue(true)
    await flushPromises()
    expect(paths[1]).toContain('by=order_type')
    expect(w.get('[data-test=on-time-table] .el-table__body tr td').text()).toBe('报修')
    w.unmount()
  })
})
