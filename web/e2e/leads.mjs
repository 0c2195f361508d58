// Issue 25 end to end, in a real browser against a real center with a real SIP call, on a
// clock that travels (`hotline serve --time-travel`):
//
//   A customer of Hangzhou's West Lake district calls; the agent (1366×768) captures a
//   lead on the call with Alt+L, one click and Ctrl+Enter, and it goes at once to the
//   district's dealer. The agent tags the wrap-up with the customer's stage. The dealer
//   logs in on a phone-sized screen and accepts the lead. The platform administrator moves
//   the clock past the follow-up deadline: the sweep takes the lead back and offers it to
//   the province's dealer; the first dealer sees why it was taken back, the second has it.
//   The same customer, with a callback promised and the 回访 of a resolved order pending,
//   is one task on the agent's desktop listing both. No console errors anywhere.
//   Screenshots go to web/e2e/out/leads-*.png.
//
// Usage: node e2e/leads.mjs [path/to/hotline]   (from web/; the app must be built)

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { apiClient, check, freePort, runMain, sipp, startCenter, waitExit, watch as watchInto } from './lib.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const web = resolve(here, '..')
const root = resolve(web, '..')
const hotline = resolve(process.argv[2] ?? join(root, 'target/debug/hotline'))
const out = join(here, 'out')
const sippDir = join(root, 'crates/hotline/tests/sipp')
const NUMBER = '13966660025'

async function main() {
  for (const tool of ['sipp', 'sox', '/usr/bin/chromium']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is missing: run scripts/setup.sh`)
  }
  if (!existsSync(join(web, 'dist/index.html'))) throw new Error('web/dist is missing: npm run build')
  mkdirSync(out, { recursive: true })
  const dir = mkdtempSync(join(tmpdir(), 'hotline-leads-'))
  const sip = await freePort()
  const rtp = 30000 + Math.floor(Math.random() * 20000)
  const center = startCenter(hotline, { dir, sip, rtp, web, extra: ['--time-travel'] })
  const base = await center.url
  console.log(`center at ${base}, SIP ${sip}, in ${dir}`)
  for (const [name, freq] of [['caller', '500'], ['agent', '1100']]) {
    spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'u-law', join(dir, `${name}.wav`), 'synth', '60', 'sine', freq])
  }

  const api = apiClient(base)
  const login = async (username, password = 'hotline-demo', tenant = 'demo') =>
    (await api('POST', '/api/auth/login', null, { tenant: tenant || undefined, username, password, mode: 'bearer' })).body.token
  let admin = await login('admin')
  const customer = await api('POST', '/api/customers', admin, {
    name: '赵六', phones: [{ number: NUMBER, label: 'mobile' }], segment: 'general', level: 2,
    addresses: [{ province: '浙江省', city: '杭州市', district: '西湖区', line: '文三路 25 号', label: 'installation' }],
  })
  check(customer.status === 201, `the customer is on file (${customer.status})`)
  const customerId = customer.body.id
  // The province's dealer, behind the district's.
  const second = await api('POST', '/api/users', admin, { username: 'dealer-zj', display_name: '经销商 浙江总代', role: 'dealer', password: 'dealer-zj-pass' })
  check(second.status === 201, `a second dealer (${second.status})`)
  const regions = await api('PUT', `/api/dealers/${second.body.id}/regions`, admin, { regions: [{ province: '浙江省' }] })
  check(regions.status === 200, `who serves the whole province (${regions.status})`)
  const firstDealer = (await api('GET', '/api/auth/session', await login('dealer'))).body.user.id

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const errors = []
  const open = async (viewport, who, username, password, next) => {
    const ctx = await browser.newContext({ viewport, locale: 'zh-CN' })
    const page = await ctx.newPage()
    watchInto(page, who, errors)
    await page.goto(`${base}/login?next=${next}`)
    await page.fill('input[name=tenant]', 'demo')
    await page.fill('input[name=username]', username)
    await page.fill('input[name=password]', password)
    await page.click('[data-test=login]')
    await page.waitForURL(`**${next}`)
    return { ctx, page }
  }

  // The agent, ready, with the desk phone registered.
  const reg = sipp(dir, sip, join(sippDir, 'register.xml'), { expires: '300' }, ['-s', '1001', '-au', '1001', '-ap', 'secret1001', '-p', String(await freePort())])
  check((await waitExit(reg, 20_000)) === 0, 'extension 1001 registered')
  const phonePort = reg.spawnargs[reg.spawnargs.indexOf('-p') + 1]
  const { ctx: agentCtx, page: agent } = await open({ width: 1366, height: 768 }, 'agent', 'agent1001', 'secret1001', '/desktop')
  await agent.waitForSelector('[data-test=state-bar]')
  await agent.click('[data-test=sign-in]')
  await agent.waitForFunction(() => document.querySelector('[data-test=agent-state]')?.textContent?.includes('就绪'))

  // The customer calls 96332 and presses 1; the agent answers.
  const phone = sipp(dir, sip, join(here, 'agent_phone.xml'), { tone: join(dir, 'agent.wav'), ring_ms: '800' }, ['-p', phonePort, '-mp', String(await freePort())])
  await new Promise((r) => setTimeout(r, 300))
  const caller = sipp(dir, sip, join(sippDir, 'caller.xml'), {
    tone: join(dir, 'caller.wav'), dtmf: '/usr/share/sip-tester/dtmf_2833_1.pcap', from: NUMBER, menu_ms: '1500', talk_ms: '12000',
  }, ['-s', '96332', '-p', String(await freePort()), '-mp', String(await freePort())])
  await agent.waitForFunction(() => document.querySelector('[data-test=agent-state]')?.textContent?.includes('通话'), null, { timeout: 20_000 })
  check((await agent.textContent('[data-test=customer-name]'))?.includes('赵六'), 'the desktop shows the caller')

  // On the call: Alt+L, the first product line, what they want, Ctrl+Enter.
  await agent.keyboard.press('Alt+l')
  await agent.waitForSelector('[data-test=lead-form]')
  await agent.click('[data-test=lead-line-0]')
  await agent.fill('[data-test=lead-interest]', '厨房净水器，家里 4 口人')
  await agent.keyboard.press('Control+Enter')
  await agent.waitForSelector('.el-message:has-text("已分配给")', { timeout: 10_000 })
  check(true, 'the desktop says which dealer the lead went to')
  await agent.screenshot({ path: join(out, 'leads-captured.png') })
  const leads = (await api('GET', `/api/leads?customer_id=${customerId}`, admin)).body
  const lead = leads?.[0]
  check(leads?.length === 1 && lead.status === 'offered' && lead.dealer_id === firstDealer && lead.call_id && lead.region === '浙江省/杭州市/西湖区',
    `the lead went to the district's dealer on the call (${lead?.status}, dealer ${lead?.dealer_id}, ${lead?.region})`)

  // The caller hangs up; the wrap-up carries the customer's stage.
  check((await waitExit(caller, 40_000)) === 0, 'the caller finished')
  check((await waitExit(phone, 20_000)) === 0, 'the phone finished')
  await agent.waitForFunction(() => document.querySelector('[data-test=agent-state]')?.textContent?.includes('话后处理'), null, { timeout: 10_000 })
  await agent.click('[data-test=disposition-repair]')
  await agent.click('[data-test=wrap-up-journey] >> text=选择')
  await agent.click('[data-test=save-wrap-up]')
  let wrap = null
  for (let i = 0; i < 40 && !wrap; i++) {
    if (i) await new Promise((r) => setTimeout(r, 250))
    wrap = (await api('GET', `/api/customers/${customerId}/timeline`, admin)).body?.find((e) => e.kind === 'call.wrapup')
  }
  check(wrap?.payload.journey === 'select', `the wrap-up is tagged with the stage (${wrap?.payload.journey})`)
  // A break: the 回访 below is not offered to the agent meanwhile.
  await agent.keyboard.press('Alt+b')
  await agent.waitForFunction(() => /小休|离席|示忙/.test(document.querySelector('[data-test=agent-state]')?.textContent ?? ''), null, { timeout: 10_000 })

  // One task for the customer: a callback promised and the 回访 of an order solved on the
  // spot, listed together on the desktop.
  const order = await api('POST', '/api/orders', await login('agent1001', 'secret1001'), {
    order_type: 'complaint', category: 'attitude', title: '上门人员迟到', customer_id: customerId, solved: true,
  })
  check(order.status === 201 && order.body.status === 'resolved', `an order solved on the spot owes its 回访 (${order.status} ${order.body?.status})`)
  const topic = await api('POST', '/api/contacts/topics', admin, {
    customer_id: customerId, kind: 'callback', department: 'sales', subject: '客户要求明天上午回电确认安装时间',
  })
  check(topic.status === 201, `a callback is promised (${topic.status})`)
  await agent.click('[data-test=tasks-refresh]')
  const task = agent.locator(`[data-test=task-${customerId}]`)
  await task.locator('[data-test=item-revisit]').waitFor({ timeout: 10_000 })
  const kinds = await task.locator('[data-test^=item-]:not([data-test=item-done])').evaluateAll((els) => els.map((e) => e.getAttribute('data-test')))
  check(kinds.length === 2 && kinds.includes('item-callback') && kinds.includes('item-revisit'), `the customer is one task listing both (${kinds.join(', ')})`)
  check((await task.locator('[data-test=task-verdict]').textContent())?.includes('现在可以拨打'), 'which the policy lets the agent place now')
  await agent.screenshot({ path: join(out, 'leads-task.png') })

  // The dealer, on a phone, accepts.
  const { ctx: dealerCtx, page: dealer } = await open({ width: 390, height: 844 }, 'dealer', 'dealer', 'hotline-demo', '/dealer')
  await dealer.waitForSelector(`[data-test=dealer-lead-${lead.id}]`, { timeout: 10_000 })
  await dealer.click(`[data-test=lead-accept-${lead.id}]`)
  await dealer.waitForFunction((id) => document.querySelector(`[data-test=dealer-lead-${id}]`)?.textContent?.includes('跟进中'), lead.id, { timeout: 10_000 })
  check(true, 'the dealer accepted it on a phone-sized screen')
  await dealer.screenshot({ path: join(out, 'leads-dealer.png') })
  const accepted = (await api('GET', `/api/leads/${lead.id}`, admin)).body.lead
  check(accepted.status === 'working' && accepted.due_ms > Date.now(), `it is theirs to follow up by ${new Date(accepted.due_ms).toISOString()}`)

  // The follow-up deadline passes on the travelling clock (the pages are closed first:
  // their sessions would lapse over the days the clock skips).
  await agentCtx.close()
  await dealerCtx.close()
  const root = await login('root', 'hotline-demo', '')
  const moved = await api('POST', '/api/platform/clock', root, { advance_ms: accepted.due_ms - Date.now() + 120_000 })
  check(moved.status === 200 && moved.body.now_ms > accepted.due_ms, `the clock moves past the deadline (${moved.status})`)
  admin = await login('admin')
  let after = null
  for (let i = 0; i < 60; i++) {
    if (i) await new Promise((r) => setTimeout(r, 250))
    after = (await api('GET', `/api/leads/${lead.id}`, admin)).body
    if (after?.lead?.dealer_id === second.body.id) break
  }
  check(after?.lead?.status === 'offered' && after?.lead?.dealer_id === second.body.id,
    `the sweep took it back and offered it to the province's dealer (${after?.lead?.status}, dealer ${after?.lead?.dealer_id})`)
  const moves = (after?.timeline ?? []).map((e) => e.action)
  check(moves.includes('reclaim') && moves.lastIndexOf('assign') > moves.indexOf('reclaim'), `the timeline has the reclaim, then the new offer (${moves.join(' → ')})`)

  // The first dealer sees why; the second has it.
  const { ctx: firstCtx, page: first } = await open({ width: 390, height: 844 }, 'dealer', 'dealer', 'hotline-demo', '/dealer')
  await first.waitForSelector('[data-test=lead-notice]', { timeout: 10_000 })
  const notice = await first.textContent('[data-test=lead-notice]')
  check(notice?.includes(`#${lead.id}`) && notice?.includes('未按时跟进'), `the first dealer is told why it was taken back: ${notice?.trim()}`)
  check(!(await first.isVisible(`[data-test=dealer-lead-${lead.id}]`)), 'and no longer has it')
  await first.screenshot({ path: join(out, 'leads-taken-back.png') })
  await firstCtx.close()
  const { ctx: secondCtx, page: secondPage } = await open({ width: 390, height: 844 }, 'dealer-zj', 'dealer-zj', 'dealer-zj-pass', '/dealer')
  await secondPage.waitForSelector(`[data-test=dealer-lead-${lead.id}]`, { timeout: 10_000 })
  check(true, 'the province\'s dealer has it to accept')
  await secondCtx.close()

  await browser.close()
  check(errors.length === 0, `no console errors${errors.length ? ':\n  ' + errors.join('\n  ') : ''}`)
  rmSync(dir, { recursive: true, force: true })
}

await runMain(main, 'leads e2e')
