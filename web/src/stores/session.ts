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

  const can = (perm: string) => computed(() => info.value?.permissions.includes(perm) ?? false)

  /** Where this user starts: agents at the desktop, team leads on the floor. */
  function home(): string {
    const p = info.value?.permissions ?? []
    if (p.includes('take_contacts') && !p.includes('view_floor')) return '/desktop'
    if (p.includes('view_floor')) return '/floor'
    if (p.includes('manage_config')) return '/admin'
    return '/desktop'
  }

  return { info, loaded, load, login, logout, can, home }
})
