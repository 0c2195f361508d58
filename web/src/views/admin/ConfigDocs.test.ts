import { describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { i18n } from '../../i18n'
import ConfigDocs from './ConfigDocs.vue'

describe('a configuration document editor', () => {
  it('refuses broken JSON before sending, and shows the server\'s complaint with its field', async () => {
    const sent: { method: string; body: unknown }[] = []
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      if (init.method === 'PUT') {
        sent.push({ method: 'PUT', body: JSON.parse(String(init.body)) })
        return new Response(
          JSON.stringify({ code: 'invalid', message: 'a fraction from 0 to 1', details: { field: 'service_level' } }),
          { status: 400 },
        )
      }
      expect(url).toBe('/api/queues')
      return new Response(JSON.stringify([{ key: 'repair', version: 3, data: { name: '报修', service_level: 0.8 } }]))
    })
    const w = mount(ConfigDocs, {
      props: { path: '/api/queues', template: {} },
      global: { plugins: [i18n, createPinia()] },
      attachTo: document.body,
    })
    await flushPromises()
    await w.get('.el-menu-item').trigger('click')
    await flushPromises()
    const json = w.get('textarea[data-test=doc-json]')
    expect((json.element as HTMLTextAreaElement).value).toContain('"service_level": 0.8')

    await json.setValue('{"name": "报修", ')
    await flushPromises()
    expect(w.get('[data-test=doc-error]').text()).toContain('JSON 格式错误')
    await w.get('form').trigger('submit')
    expect(sent).toHaveLength(0)

    await json.setValue('{"name": "报修", "service_level": 1.8}')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(sent).toEqual([{ method: 'PUT', body: { name: '报修', service_level: 1.8, version: 3 } }])
    expect(w.get('[data-test=doc-error]').text()).toBe('service_level: a fraction from 0 to 1')
    w.unmount()
  })
})
