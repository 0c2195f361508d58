import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { csrfToken, get, post } from '../api'
import type { SessionInfo } from '../types'

export const useSession = defineStore('session', () => {
  const info = ref<SessionInfo | null>(null)
  const loaded = ref(false)

  async function load(): Promise<SessionInfo | null> {
    // No CSRF cookie, no session: nothing to ask the server.
    if (!csrfToken()) {
      info.value = null
      loaded.value = true
      return null
    }
    try {
      info.value = await get<SessionInfo>('/api/auth/session')
    } catch {
      info.value = null
    }
    loaded.value = true
    return info.value
  }

  async function login(tenant: string, username: string, password: string): Promise<SessionInfo> {
    const s = await post<SessionInfo>('/api/auth/login', {
      tenant: tenant || undefined,
      username,
      password,
    })
    info.value = s
    loaded.value = true
    return s
  }

  async function logout(): Promise<void> {
    try {
      await post('/api/auth/logout')
    } finally {
      info.value = null
    }
  }

  const narrow = () => typeof window !== 'undefined' && window.innerWidth < 640

  const can = (perm: string) => computed(() => info.value?.permissions.includes(perm) ?? false)

  /** Where this user starts: each role at the screen of its day's work. */
  function home(): string {
    const role = info.value?.user.role
    const p = info.value?.permissions ?? []
    const first = (...paths: [string, string][]) => paths.find(([perm]) => p.includes(perm))?.[1] ?? '/account'
    switch (role) {
      case 'platform_admin': return '/tenants'
      case 'tenant_admin': return first(['view_config', '/admin'])
      case 'supervisor': return first(['view_floor', '/floor'])
      case 'agent': return first(['take_contacts', '/desktop'])
      case 'quality_inspector':
      case 'expert': return first(['view_calls', '/calls'], ['take_contacts', '/desktop'])
      // Handlers start at their orders; on a phone, at the field crew's page.
      case 'back_office': return narrow() ? first(['handle_orders', '/crew']) : first(['view_orders', '/orders'], ['view_customers', '/customers'])
      case 'dealer': return first(['dealer_customers', '/dealer'])
      default: return first(['take_contacts', '/desktop'], ['view_customers', '/customers'])
    }
  }

  return { info, loaded, load, login, logout, can, home }
})
