// Every user-facing string, in Chinese (the default) and English. Views use `t('…')` only.

import { createI18n } from 'vue-i18n'

const zh = {
  app: { name: 'Hotline 呼叫中心', logout: '退出', language: 'English', stale: '连接已断开，正在重连…数据可能不是最新的', reconnected: '已重新连接' },
  nav: { desktop: '座席工作台', floor: '现场管理', wallboard: '大屏', admin: '系统管理' },
  login: {
    title: '登录', tenant: '租户', username: '用户名', password: '密码', submit: '登录',
    failed: '用户名或密码不正确', locked: '登录失败次数过多，请稍后再试',
  },
  state: {
    offline: '未签入', ready: '就绪', reserved: '振铃', talking: '通话', hold: '保持',
    after_call_work: '话后处理', not_ready: '未就绪',
    break: '小休', meal: '用餐', training: '培训', meeting: '会议', away: '离席', missed: '未接',
    phone_unreachable: '话机不可达',
  },
  desktop: {
    signIn: '签入', signOut: '签出', ready: '就绪', notReady: '未就绪', reason: '原因',
    inState: '当前状态时长', acwLeft: '剩余', extend: '延长 30 秒', done: '处理完成',
    noProfile: '您还没有座席配置，请联系管理员分配技能和队列。',
    waitingForCall: '等待来电', ringing: '来电振铃', connected: '通话中', lastCall: '上一通电话',
    caller: '主叫号码', dialled: '被叫号码', queue: '队列', ivrPath: 'IVR 路径', waited: '排队等待',
    customer: '客户', unknownCaller: '未识别的号码', createCustomer: '新建客户', pickCustomer: '该号码对应多个客户，请选择：',
    name: '姓名', segment: '客户类别', level: '客户等级', region: '地区', dealer: '经销商',
    blacklisted: '黑名单客户', timeline: '接触记录', noTimeline: '暂无记录',
    notes: '备注', notesPlaceholder: '记录来电内容和处理情况…', disposition: '话后小结', saveWrapUp: '保存小结',
    saved: '已保存', transfer: '转接', consult: '咨询', to: '目标队列或分机', completeConsult: '完成转接', cancelConsult: '取消咨询',
    hold: '保持', resume: '取回通话', dial: '外呼', number: '电话号码', recentCalls: '最近通话',
    shortcuts: '快捷键', noCall: '暂无通话',
    events: { customer_created: '客户建档', customer_updated: '客户资料修改', customer_merged: '客户合并', customer_merge_undone: '撤销合并', call_transferred: '转接', call_consult: '咨询专家', call_callback_requested: '预约回电' },
    outcome: { answered: '已接通', abandoned: '放弃', voicemail: '留言', callback: '回呼', disconnected: '挂断', overflowed: '溢出', callback_done: '回呼完成', ivr: '语音导航内结束', outbound: '外呼', interrupted: '中断（系统重启）' },
  },
  segment: { general: '普通', large_account: '大客户', special: '特殊', abnormal: '异常', vulnerable: '弱势群体' },
  floor: {
    title: '现场管理', queues: '队列', waiting: '排队数', longest: '最长等待', sl: '今日服务水平', goal: '目标',
    answered: '接通', abandoned: '放弃', offered: '呼入', agents: '座席', state: '状态', time: '时长', extension: '分机',
    alerts: '告警', noAlerts: '无告警', setNotReady: '置为未就绪', signOut: '强制签出', confirmSignOut: '确定将 {name} 签出？',
    done: '已执行', slChart: '各队列服务水平', stateChart: '座席状态分布', byState: '座席状态',
    restarted: '{at} 路由引擎发生故障，已从日志恢复：座席已重新签入，排队中的来电已重新排队（{reason}）',
    alert: '{name}：{state} 已 {time}', slNote: '服务水平 = 目标时间内接通 ÷（接通 + 放弃 + 溢出）',
  },
  wallboard: { title: '呼叫中心实时大屏', exit: '退出大屏' },
  admin: {
    users: '用户', agents: '座席', skills: '技能', queues: '队列', teams: '班组', calendars: '工作日历', ivr: 'IVR 流程', settings: '中心设置',
    save: '保存', add: '新增', edit: '编辑', cancel: '取消', key: '编码', name: '名称', role: '角色', active: '启用',
    displayName: '显示名称', password: '初始密码', proficiency: '熟练度', extension: '分机号', queuesServed: '服务队列',
    strategy: '分配策略', priority: '优先级', serviceLevel: '服务水平目标', serviceTime: '目标时间（秒）', wrapUp: '话后处理（秒）',
    ringTimeout: '振铃超时（秒）', members: '成员', leader: '班长', timeZone: '时区', hours: '工作时间', holidays: '法定节假日',
    openNow: '当前营业', closedNow: '当前休息', flowJson: '流程定义（JSON）', saved: '已保存', dispositions: '话后小结代码',
    thresholds: '现场告警阈值', amber: '黄色（秒）', red: '红色（秒）', nameZh: '中文名称', nameEn: '英文名称', code: '代码',
    invalidJson: 'JSON 格式错误：{msg}', skillsOf: '技能与熟练度', version: '版本', sipPassword: '话机注册密码',
  },
  role: {
    platform_admin: '平台管理员', tenant_admin: '租户管理员', supervisor: '班长', agent: '座席', quality_inspector: '质检员',
    expert: '专家', back_office: '后台', dealer: '经销商',
  },
  error: { network: '网络连接失败，请检查后重试', generic: '操作失败：{msg}', field: '{field}：{msg}' },
}

type Messages = typeof zh

const en: Messages = {
  app: { name: 'Hotline contact center', logout: 'Log out', language: '中文', stale: 'Disconnected, reconnecting… data may be out of date', reconnected: 'Reconnected' },
  nav: { desktop: 'Agent desktop', floor: 'Floor', wallboard: 'Wallboard', admin: 'Administration' },
  login: {
    title: 'Log in', tenant: 'Tenant', username: 'User name', password: 'Password', submit: 'Log in',
    failed: 'Wrong user name or password', locked: 'Too many failed attempts; try again later',
  },
  state: {
    offline: 'Signed out', ready: 'Ready', reserved: 'Ringing', talking: 'Talking', hold: 'Hold',
    after_call_work: 'After-call work', not_ready: 'Not ready',
    break: 'Break', meal: 'Meal', training: 'Training', meeting: 'Meeting', away: 'Away', missed: 'Missed',
    phone_unreachable: 'Phone unreachable',
  },
  desktop: {
    signIn: 'Sign in', signOut: 'Sign out', ready: 'Ready', notReady: 'Not ready', reason: 'Reason',
    inState: 'Time in state', acwLeft: 'left', extend: 'Extend 30 s', done: 'Done',
    noProfile: 'You have no routing profile yet; ask an administrator for skills and queues.',
    waitingForCall: 'Waiting for a call', ringing: 'Ringing', connected: 'On a call', lastCall: 'Last call',
    caller: 'Caller', dialled: 'Dialled', queue: 'Queue', ivrPath: 'IVR path', waited: 'Waited',
    customer: 'Customer', unknownCaller: 'Unknown number', createCustomer: 'New customer', pickCustomer: 'Several customers have this number; pick one:',
    name: 'Name', segment: 'Segment', level: 'Level', region: 'Region', dealer: 'Dealer',
    blacklisted: 'Blacklisted', timeline: 'Interactions', noTimeline: 'Nothing yet',
    notes: 'Notes', notesPlaceholder: 'What the caller asked and what was done…', disposition: 'Wrap-up code', saveWrapUp: 'Save wrap-up',
    saved: 'Saved', transfer: 'Transfer', consult: 'Consult', to: 'Queue or extension', completeConsult: 'Complete transfer', cancelConsult: 'Cancel consultation',
    hold: 'Hold', resume: 'Resume', dial: 'Call', number: 'Number', recentCalls: 'Recent calls',
    shortcuts: 'Shortcuts', noCall: 'No call',
    events: { customer_created: 'Customer created', customer_updated: 'Customer updated', customer_merged: 'Customers merged', customer_merge_undone: 'Merge undone', call_transferred: 'Transferred', call_consult: 'Consulted an expert', call_callback_requested: 'Callback requested' },
    outcome: { answered: 'Answered', abandoned: 'Abandoned', voicemail: 'Voicemail', callback: 'Callback', disconnected: 'Disconnected', overflowed: 'Overflowed', callback_done: 'Callback done', ivr: 'Ended in IVR', outbound: 'Outbound', interrupted: 'Interrupted (restart)' },
  },
  segment: { general: 'General', large_account: 'Key account', special: 'Special', abnormal: 'Abnormal', vulnerable: 'Vulnerable' },
  floor: {
    title: 'Floor', queues: 'Queues', waiting: 'Waiting', longest: 'Longest wait', sl: 'Service level today', goal: 'Goal',
    answered: 'Answered', abandoned: 'Abandoned', offered: 'Offered', agents: 'Agents', state: 'State', time: 'Time', extension: 'Ext.',
    alerts: 'Alerts', noAlerts: 'No alerts', setNotReady: 'Set not ready', signOut: 'Sign out', confirmSignOut: 'Sign {name} out?',
    done: 'Done', slChart: 'Service level by queue', stateChart: 'Agents by state', byState: 'Agents by state',
    restarted: 'At {at} the routing engine failed and was restarted from the log: agents were signed in again and waiting callers queued again ({reason})',
    alert: '{name}: {state} for {time}', slNote: 'Service level = answered within target ÷ (answered + abandoned + overflowed)',
  },
  wallboard: { title: 'Contact center live', exit: 'Leave wallboard' },
  admin: {
    users: 'Users', agents: 'Agents', skills: 'Skills', queues: 'Queues', teams: 'Teams', calendars: 'Calendars', ivr: 'IVR flows', settings: 'Settings',
    save: 'Save', add: 'Add', edit: 'Edit', cancel: 'Cancel', key: 'Key', name: 'Name', role: 'Role', active: 'Active',
    displayName: 'Display name', password: 'Initial password', proficiency: 'Proficiency', extension: 'Extension', queuesServed: 'Queues served',
    strategy: 'Strategy', priority: 'Priority', serviceLevel: 'Service-level goal', serviceTime: 'Target (s)', wrapUp: 'Wrap-up (s)',
    ringTimeout: 'Ring timeout (s)', members: 'Members', leader: 'Team lead', timeZone: 'Time zone', hours: 'Hours', holidays: 'Public holidays',
    openNow: 'Open now', closedNow: 'Closed now', flowJson: 'Flow (JSON)', saved: 'Saved', dispositions: 'Wrap-up codes',
    thresholds: 'Floor alert thresholds', amber: 'Amber (s)', red: 'Red (s)', nameZh: 'Chinese name', nameEn: 'English name', code: 'Code',
    invalidJson: 'Invalid JSON: {msg}', skillsOf: 'Skills and proficiency', version: 'Version', sipPassword: 'SIP password',
  },
  role: {
    platform_admin: 'Platform admin', tenant_admin: 'Tenant admin', supervisor: 'Team lead', agent: 'Agent', quality_inspector: 'Quality inspector',
    expert: 'Expert', back_office: 'Back office', dealer: 'Dealer',
  },
  error: { network: 'Network error; check the connection and try again', generic: 'Failed: {msg}', field: '{field}: {msg}' },
}

export const messages = { 'zh-CN': zh, en }
export type Locale = keyof typeof messages

export function savedLocale(): Locale {
  const l = typeof localStorage !== 'undefined' ? localStorage.getItem('hotline.locale') : null
  return l === 'en' ? 'en' : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: savedLocale(),
  fallbackLocale: 'zh-CN',
  messages,
})

export function setLocale(l: Locale): void {
  i18n.global.locale.value = l
  localStorage.setItem('hotline.locale', l)
  document.documentElement.lang = l
}
