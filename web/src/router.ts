// Routes, each view its own chunk: the agent desktop loads neither the floor's charts nor
// the administration screens.

import { createRouter, createWebHistory } from 'vue-router'
import { whenUnauthenticated } from './api'
import { useSession } from './stores/session'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: () => useSession().home() },
    { path: '/login', component: () => import('./views/Login.vue'), meta: { public: true } },
    { path: '/desktop', component: () => import('./views/Desktop.vue'), meta: { perm: 'take_contacts' } },
    { path: '/floor', component: () => import('./views/Floor.vue'), meta: { perm: 'view_floor' } },
    { path: '/wallboard', component: () => import('./views/Wallboard.vue'), meta: { perm: 'view_floor', bare: true } },
    { path: '/admin/:section?', component: () => import('./views/Admin.vue'), meta: { perm: 'view_config' } },
    { path: '/customers', component: () => import('./views/Customers.vue'), meta: { perm: 'view_customers' } },
    { path: '/customers/:id(\\d+)', component: () => import('./views/Customer.vue'), meta: { perm: 'view_customers' } },
    { path: '/orders', component: () => import('./views/Orders.vue'), meta: { perm: 'view_orders' } },
    { path: '/orders/:id(\\d+)', component: () => import('./views/Order.vue'), meta: { perm: 'view_orders' } },
    { path: '/incidents', component: () => import('./views/Incidents.vue'), meta: { perm: 'view_orders' } },
    { path: '/crew', component: () => import('./views/Crew.vue'), meta: { perm: 'handle_orders' } },
    { path: '/calls', component: () => import('./views/Calls.vue'), meta: { perm: 'view_calls' } },
    { path: '/reports', component: () => import('./views/Reports.vue'), meta: { perm: 'view_reports' } },
    { path: '/reports/glossary', component: () => import('./views/Glossary.vue'), meta: { perm: 'view_reports' } },
    { path: '/reports/ranking', component: () => import('./views/Ranking.vue'), meta: { perm: 'view_reports' } },
    { path: '/reports/monthly', component: () => import('./views/MonthlyReport.vue'), meta: { perm: 'view_reports' } },
    { path: '/faq/:tenant', component: () => import('./views/Faq.vue'), meta: { public: true, bare: true } },
    { path: '/kb', component: () => import('./views/Knowledge.vue'), meta: { perm: 'search_kb' } },
    { path: '/reports/saved', component: () => import('./views/SavedReports.vue'), meta: { perm: 'view_reports' } },
    { path: '/tenants', component: () => import('./views/Tenants.vue'), meta: { perm: 'manage_tenants' } },
    { path: '/leads', component: () => import('./views/Leads.vue'), meta: { perm: 'work_leads' } },
    { path: '/dealer', component: () => import('./views/Dealer.vue'), meta: { perm: 'dealer_customers' } },
    { path: '/account', component: () => import('./views/Account.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach(async (to) => {
  const session = useSession()
  if (!session.loaded) await session.load()
  if (to.meta.public) return true
  if (!session.info) return { path: '/login', query: { next: to.fullPath } }
  const perm = to.meta.perm as string | undefined
  const role = to.meta.role as string | undefined
  if ((perm && !session.info.permissions.includes(perm)) || (role && session.info.user.role !== role)) {
    const home = session.home()
    return home === to.path ? true : home
  }
  return true
})

whenUnauthenticated(() => {
  const session = useSession()
  session.info = null
  // A public page (the FAQ) stays where it is, even while its first navigation is pending
  // (an old session's cookie answered 401).
  if (router.resolve(window.location.pathname).meta.public) return
  if (router.currentRoute.value.path !== '/login') {
    void router.push({ path: '/login', query: { next: router.currentRoute.value.fullPath } })
  }
})
