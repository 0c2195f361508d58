// Every user-facing string, in Chinese (the default) and English. Views use `t('…')` only.

import { createI18n } from 'vue-i18n'

const zh = {
  app: { name: 'Hotline 呼叫中心', logout: '退出', language: 'English', stale: '连接已断开，正在重连…数据可能不是最新的', reconnected: '已重新连接' },
  nav: { desktop: '座席工作台', floor: '现场管理', wallboard: '大屏', admin: '系统管理', customers: '客户', calls: '通话记录', tenants: '租户', dealer: '我的客户' },
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
  field: {
    name: '名称', key: '编码', version: '版本', phones: '电话', number: '号码', label: '类型', emails: '邮箱', addresses: '地址',
    province: '省', city: '市', district: '区', line: '详细地址', segment: '客户类别', level: '客户等级', qualification: '资质',
    id_number: '证件号', blacklisted: '黑名单', blacklist_reason: '黑名单原因', notes: '备注', extension: '分机号',
    sip_password: '话机注册密码', skills: '技能', queues: '队列', queue: '队列', members: '成员', leader: '班长',
    weekly: '每周工作时间', holidays: '休息日', workdays: '调休工作日', special: '特殊日期', time_zone: '时区', flow: '流程',
    nodes: '节点', start: '起始节点', slug: '租户编码', seat_quota: '座席数', sip_domain: 'SIP 域名', username: '用户名',
    display_name: '显示名称', password: '密码', role: '角色', file: '文件', mapping: '列对应', q: '搜索', region: '地区',
    department: '部门', service_level: '服务水平目标', service_time: '目标时间', wrap_up: '话后处理', ring_timeout: '振铃超时',
    strategy: '分配策略', priority: '优先级', calendar: '工作日历', dispositions: '话后小结代码', thresholds: '告警阈值',
    user_id: '用户', absorbed_id: '被合并的客户', numbers: '号码', keys: '按键', body: '内容', row: '行',
  },
  account: {
    title: '我的账号', tenant: '所属中心', platform: '平台', password: '修改密码', current: '当前密码', new: '新密码（至少 8 位）', change: '修改', changed: '密码已修改',
    dealerNote: '经销商工作台（按地区分配给您的客户和销售线索）将随销售线索模块开放。',
  },
  kind: { queue: '队列', agent: '座席配置', ivr_flow: 'IVR 流程', skill: '技能', calendar: '工作日历', team: '班组' },
  dept: { finance: '财务', legal: '法务', sales: '销售', service: '服务' },
  home: {
    customers: '客户', calls: '通话记录', tenants: '租户', dealer: '我的客户', setup: '开通检查',
  },
  customers: {
    title: '客户', search: '姓名、电话（任意写法）或证件号', filters: '筛选', segment: '客户类别', level: '等级', region: '地区（省/市/区）',
    blacklisted: '黑名单', department: '部门资料', any: '全部', yes: '是', no: '否', more: '加载更多', count: '已显示 {n} 位',
    none: '没有符合条件的客户', create: '新建客户', edit: '编辑', save: '保存', cancel: '取消', export: '导出', import: '导入',
    phones: '电话', addPhone: '添加电话', addresses: '地址', addAddress: '添加地址', emails: '邮箱（逗号分隔）', notes: '备注',
    blacklistReason: '黑名单原因', protected: '受保护信息', reveal: '查看（将记入审计）', idNumber: '证件号', finance: '财务资料',
    facets: '部门资料', masked: '已脱敏', timeline: '接触记录', duplicates: '疑似重复', noDuplicates: '没有疑似重复的客户',
    merge: '合并到本客户', merged: '已合并（合并编号 {id}）', undo: '撤销合并', undone: '已撤销合并', confirmMerge: '将「{b}」合并到「{a}」？合并后可以撤销。',
    mobile: '手机', home: '住宅', work: '单位', other: '其他', installation: '装表地址', billing: '账单地址',
    created: '已新建客户', saved: '已保存', back: '返回列表', qualification: '资质', id: '编号', updated: '更新时间',
    mergedInto: '已合并到客户 {id}',
  },
  importer: {
    title: '导入客户', step1: '上传文件', step2: '对应列', step3: '检查', step4: '导入', choose: '选择 CSV 或 Excel 文件',
    rows: '{n} 行', column: '文件中的列', field: '对应字段', preview: '预览（前 10 行）', check: '检查', errors: '错误',
    valid: '有效 {n} 行', invalid: '有误 {n} 行', row: '第 {n} 行（Excel 第 {excel} 行）', mode: '导入方式',
    allOrNothing: '全部正确才导入', skipInvalid: '跳过有误的行', commit: '开始导入', running: '正在导入…', done: '导入完成：新建 {created} 位，跳过 {skipped} 行',
    failed: '导入失败：{msg}', again: '重新上传修改后的文件', close: '关闭', ignore: '（不导入）', noErrors: '全部行都正确',
    fields: { name: '姓名', phone: '电话', email: '邮箱', province: '省', city: '市', district: '区', address: '地址', segment: '客户类别', level: '等级', qualification: '资质', id_number: '证件号', notes: '备注', blacklist_reason: '黑名单原因', ignore: '（不导入）' },
  },
  calls: {
    title: '通话记录', from: '开始', to: '结束', queue: '队列', agent: '座席', caller: '主叫', dialled: '被叫', arrived: '来电时间',
    wait: '排队', talk: '通话', hold: '保持', outcome: '结果', recording: '录音', search: '查询', export: '导出 Excel',
    none: '这段时间没有通话', customer: '客户', all: '全部', transferred: '转至 {to}',
  },
  tenants: {
    title: '租户', create: '新建租户', slug: '租户编码', name: '名称', seats: '座席数', sipDomain: 'SIP 域名', numbers: '接入号码',
    numbersHelp: '每行一个，例如 96332 或 +86 571 96332', timeZone: '时区', admin: '首个管理员', adminUser: '管理员用户名',
    adminPassword: '管理员初始密码（至少 8 位）', created: '已创建租户', save: '保存', saved: '已保存', edit: '编辑', cancel: '取消',
    createdAt: '创建时间', none: '还没有租户', state: '状态', suspended: '已暂停', active: '正常', usage: '使用情况',
    usageLine: '用户 {users} · 座席 {agents} · 24 小时通话 {calls_24h} 通（{talk_minutes_24h} 分钟）', suspendHelp: '暂停后该中心的用户会被登出且不能登录，话机不能注册，号码不再接听。',
  },
  setup: {
    title: '开通检查', intro: '接听来电前需要准备好的配置：', ok: '已就绪', missing: '待处理', calendar: '至少一个工作日历',
    numbers: '有接入号码和进入的 IVR 流程', agentsQueues: '每个座席都服务至少一个队列（{names}）', queuesReached: '每个队列都能从 IVR 或溢出到达（{names}）',
    queuesStaffed: '每个队列都有座席服务（{names}）', dispositions: '话后小结代码', go: '去设置',
  },
  error: {
    network: '网络连接失败，请检查后重试', generic: '操作失败：{msg}', field: '{field}：{msg}', item: '{label}第 {n} 项',
    inUse: '{kind}「{key}」仍在使用它，请先修改{kind}',
    code: {
      invalid_input: '填写有误', unauthenticated: '请先登录（或登录已过期）', bad_credentials: '用户名或密码不正确',
      account_locked: '登录失败次数过多，账号暂时锁定，请稍后再试', rate_limited: '操作太频繁，请稍后再试', csrf_failed: '页面已过期，请刷新后重试',
      forbidden: '您的角色无权进行此操作', seats_full: '座席数已用完，请联系管理员释放或增购座席', tenant_suspended: '该中心已被平台暂停，请联系平台运营方', not_found: '找不到该记录（可能已被删除）',
      already_exists: '已存在，请换一个', version_conflict: '已被其他人修改，请刷新后重新修改', invalid_state: '当前状态下不能这样做',
      payload_too_large: '内容太大', unsupported_media_type: '不支持的文件类型', internal: '系统出错，已记录，请稍后再试', network: '网络连接失败，请检查后重试',
    },
    reason: {
      required: '必须填写', maxChars: '最多 {a} 个字符', rangeChars: '{a}–{b} 个字符', usedBy: '已被用户 {a} 使用', exists: '已存在',
      unknownChoice: '不是可选的值', level: '应为 1 到 5', unknownRef: '引用的项目不存在', phone: '不是有效的电话号码', email: '不是有效的邮箱地址',
      keyChars: '只能用字母、数字、- 和 _', duplicate: '重复了', inUse: '仍被其他配置引用，请先解除引用', other: '填写不正确',
    },
  },
}

type Messages = typeof zh

const en: Messages = {
  app: { name: 'Hotline contact center', logout: 'Log out', language: '中文', stale: 'Disconnected, reconnecting… data may be out of date', reconnected: 'Reconnected' },
  nav: { desktop: 'Agent desktop', floor: 'Floor', wallboard: 'Wallboard', admin: 'Administration', customers: 'Customers', calls: 'Calls', tenants: 'Tenants', dealer: 'My customers' },
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
  field: {
    name: 'Name', key: 'Key', version: 'Version', phones: 'Phones', number: 'Number', label: 'Type', emails: 'E-mail', addresses: 'Addresses',
    province: 'Province', city: 'City', district: 'District', line: 'Street address', segment: 'Segment', level: 'Level', qualification: 'Qualification',
    id_number: 'ID number', blacklisted: 'Blacklist', blacklist_reason: 'Blacklist reason', notes: 'Notes', extension: 'Extension',
    sip_password: 'SIP password', skills: 'Skills', queues: 'Queues', queue: 'Queue', members: 'Members', leader: 'Team lead',
    weekly: 'Weekly hours', holidays: 'Closed days', workdays: 'Make-up workdays', special: 'Special days', time_zone: 'Time zone', flow: 'Flow',
    nodes: 'Nodes', start: 'Start node', slug: 'Tenant key', seat_quota: 'Seats', sip_domain: 'SIP domain', username: 'User name',
    display_name: 'Display name', password: 'Password', role: 'Role', file: 'File', mapping: 'Column mapping', q: 'Search', region: 'Region',
    department: 'Department', service_level: 'Service-level goal', service_time: 'Target time', wrap_up: 'After-call work', ring_timeout: 'Ring timeout',
    strategy: 'Strategy', priority: 'Priority', calendar: 'Calendar', dispositions: 'Wrap-up codes', thresholds: 'Alert thresholds',
    user_id: 'User', absorbed_id: 'Customer merged', numbers: 'Numbers', keys: 'Keys', body: 'Content', row: 'Row',
  },
  account: {
    title: 'My account', tenant: 'Center', platform: 'Platform', password: 'Change password', current: 'Current password', new: 'New password (8 or more)', change: 'Change', changed: 'Password changed',
    dealerNote: 'The dealer workspace (the customers and leads of your regions) opens with the leads module.',
  },
  kind: { queue: 'queue', agent: 'routing profile', ivr_flow: 'IVR flow', skill: 'skill', calendar: 'calendar', team: 'team' },
  dept: { finance: 'Finance', legal: 'Legal', sales: 'Sales', service: 'Service' },
  home: {
    customers: 'Customers', calls: 'Calls', tenants: 'Tenants', dealer: 'My customers', setup: 'Setup checklist',
  },
  customers: {
    title: 'Customers', search: 'Name, number (any form) or ID number', filters: 'Filters', segment: 'Segment', level: 'Level', region: 'Region (province/city/district)',
    blacklisted: 'Blacklist', department: 'Department data', any: 'Any', yes: 'Yes', no: 'No', more: 'Load more', count: '{n} shown',
    none: 'No customer matches', create: 'New customer', edit: 'Edit', save: 'Save', cancel: 'Cancel', export: 'Export', import: 'Import',
    phones: 'Phones', addPhone: 'Add a phone', addresses: 'Addresses', addAddress: 'Add an address', emails: 'E-mail (comma-separated)', notes: 'Notes',
    blacklistReason: 'Blacklist reason', protected: 'Protected data', reveal: 'Show (audited)', idNumber: 'ID number', finance: 'Finance',
    facets: 'Department data', masked: 'masked', timeline: 'Interactions', duplicates: 'Possible duplicates', noDuplicates: 'No likely duplicate',
    merge: 'Merge into this one', merged: 'Merged (merge {id})', undo: 'Undo merge', undone: 'Merge undone', confirmMerge: 'Merge “{b}” into “{a}”? It can be undone.',
    mobile: 'Mobile', home: 'Home', work: 'Work', other: 'Other', installation: 'Installation', billing: 'Billing',
    created: 'Customer created', saved: 'Saved', back: 'Back to the list', qualification: 'Qualification', id: 'No.', updated: 'Updated',
    mergedInto: 'Merged into customer {id}',
  },
  importer: {
    title: 'Import customers', step1: 'Upload', step2: 'Map columns', step3: 'Check', step4: 'Import', choose: 'Choose a CSV or Excel file',
    rows: '{n} rows', column: 'Column in the file', field: 'Field', preview: 'Preview (first 10 rows)', check: 'Check', errors: 'Errors',
    valid: '{n} valid', invalid: '{n} with errors', row: 'Row {n} (Excel row {excel})', mode: 'How',
    allOrNothing: 'Only if every row is valid', skipInvalid: 'Skip rows with errors', commit: 'Import', running: 'Importing…', done: 'Done: {created} created, {skipped} skipped',
    failed: 'Import failed: {msg}', again: 'Upload the corrected file', close: 'Close', ignore: '(not imported)', noErrors: 'Every row is valid',
    fields: { name: 'Name', phone: 'Phone', email: 'E-mail', province: 'Province', city: 'City', district: 'District', address: 'Address', segment: 'Segment', level: 'Level', qualification: 'Qualification', id_number: 'ID number', notes: 'Notes', blacklist_reason: 'Blacklist reason', ignore: '(not imported)' },
  },
  calls: {
    title: 'Calls', from: 'From', to: 'To', queue: 'Queue', agent: 'Agent', caller: 'Caller', dialled: 'Dialled', arrived: 'Arrived',
    wait: 'Wait', talk: 'Talk', hold: 'Hold', outcome: 'Outcome', recording: 'Recording', search: 'Search', export: 'Export to Excel',
    none: 'No call in this period', customer: 'Customer', all: 'All', transferred: 'to {to}',
  },
  tenants: {
    title: 'Tenants', create: 'New tenant', slug: 'Tenant key', name: 'Name', seats: 'Seats', sipDomain: 'SIP domain', numbers: 'Numbers',
    numbersHelp: 'One a line, e.g. 96332 or +86 571 96332', timeZone: 'Time zone', admin: 'First administrator', adminUser: 'Admin user name',
    adminPassword: 'Admin initial password (8 or more)', created: 'Tenant created', save: 'Save', saved: 'Saved', edit: 'Edit', cancel: 'Cancel',
    createdAt: 'Created', none: 'No tenant yet', state: 'State', suspended: 'Suspended', active: 'Active', usage: 'Usage',
    usageLine: '{users} users · {agents} agents · {calls_24h} calls in 24 h ({talk_minutes_24h} min)', suspendHelp: 'Suspended, its users are logged out and cannot log in, its phones cannot register and its numbers are not answered.',
  },
  setup: {
    title: 'Setup checklist', intro: 'What must be in place before calls can be taken:', ok: 'Done', missing: 'To do', calendar: 'At least one business calendar',
    numbers: 'A number and the IVR flow it reaches', agentsQueues: 'Every agent serves at least one queue ({names})', queuesReached: 'Every queue is reached from an IVR flow or an overflow ({names})',
    queuesStaffed: 'Every queue has agents serving it ({names})', dispositions: 'Wrap-up codes', go: 'Set up',
  },
  error: {
    network: 'Network error; check the connection and try again', generic: 'Failed: {msg}', field: '{field}: {msg}', item: '{label} #{n}',
    inUse: 'The {kind} “{key}” still uses it; change that first',
    code: {
      invalid_input: 'Invalid input', unauthenticated: 'Log in first (or your session has ended)', bad_credentials: 'Wrong user name or password',
      account_locked: 'Too many failed logins; the account is locked for a while', rate_limited: 'Too many requests; try again shortly', csrf_failed: 'The page is out of date; reload and try again',
      forbidden: 'Your role does not allow this', seats_full: 'Every seat is taken; ask an administrator to free or rent more', tenant_suspended: 'This center is suspended; ask the platform operator', not_found: 'Not found (it may have been deleted)',
      already_exists: 'Already exists; choose another', version_conflict: 'Someone else changed it; reload and apply your change again', invalid_state: 'Not possible in the current state',
      payload_too_large: 'Too large', unsupported_media_type: 'Unsupported file type', internal: 'Something went wrong on our side; it has been logged', network: 'Network error; check the connection and try again',
    },
    reason: {
      required: 'required', maxChars: 'at most {a} characters', rangeChars: '{a}–{b} characters', usedBy: 'already used by user {a}', exists: 'already exists',
      unknownChoice: 'not one of the choices', level: '1 to 5', unknownRef: 'refers to something that does not exist', phone: 'not a valid phone number', email: 'not a valid e-mail address',
      keyChars: 'letters, digits, - and _ only', duplicate: 'duplicated', inUse: 'still referred to; remove the references first', other: 'invalid',
    },
  },
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
