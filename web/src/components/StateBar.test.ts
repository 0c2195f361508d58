import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { i18n } from '../i18n'
import StateBar from './StateBar.vue'
import CustomerCard from './CustomerCard.vue'

const status = { user_id: 1, display_name: 'A', extension: '1001', now_ms: 0, call: null }

describe('the state bar', () => {
  it('shows after-call work with its countdown and the extend and done buttons', async () => {
    const w = mount(StateBar, {
      props: { s: { ...status, state: 'after_call_work', reason: null, since_ms: 0, wrap_up_until_ms: 30_000 }, now: 12_000 },
      global: { plugins: [i18n] },
    })
    expect(w.get('[data-test=agent-state]').text()).toBe('话后处理')
    expect(w.get('[data-test=time-in-state]').text()).toBe('0:12')
    expect(w.get('[data-test=acw-left]').text()).toContain('0:18')
    await w.get('[data-test=acw-done]').trigger('click')
    expect(w.emitted('done')).toHaveLength(1)
  })

  it('names the reason when not ready, and offers sign-in when signed out', () => {
    const w = mount(StateBar, {
      props: { s: { ...status, state: 'not_ready', reason: 'break', since_ms: 0, wrap_up_until_ms: null }, now: 0 },
      global: { plugins: [i18n] },
    })
    expect(w.get('[data-test=agent-state]').text()).toBe('未就绪 · 小休')
    const off = mount(StateBar, {
      props: { s: { ...status, state: 'offline', reason: null, since_ms: null, wrap_up_until_ms: null }, now: 0 },
      global: { plugins: [i18n] },
    })
    expect(off.find('[data-test=sign-in]').exists()).toBe(true)
    expect(off.find('[data-test=go-ready]').exists()).toBe(false)
  })
})

describe('the customer card', () => {
  it('shows the segment badge, the blacklist warning and the region', () => {
    const w = mount(CustomerCard, {
      props: {
        c: {
          id: 1, name: '李四', phones: [{ number: '+8613800000000', label: 'mobile' }], emails: [],
          addresses: [{ province: '浙江省', city: '杭州市', district: '西湖区', line: '', label: '' }],
          segment: 'vulnerable', level: 2, qualification: '', id_number: null, blacklisted: true,
          blacklist_reason: '恶意骚扰', notes: '', version: 1, created_at_ms: 0, updated_at_ms: 0,
        },
        dealer: '西湖水务服务站',
      },
      global: { plugins: [i18n] },
    })
    expect(w.get('[data-test=segment-badge]').text()).toBe('弱势群体')
    expect(w.get('[data-test=blacklist]').text()).toContain('恶意骚扰')
    expect(w.text()).toContain('浙江省 杭州市 西湖区')
    expect(w.text()).toContain('西湖水务服务站')
  })
})
